"""TorchDesk: match GPU, driver, CUDA, PyTorch and Python, build the environment, prove it works."""

__version__ = "0.1.0"
