# -*- coding: utf-8 -*-
"""The smoke script's C++/CUDA extension check: only where the env has TorchDesk's toolchain, build a tiny
extension with torch.utils.cpp_extension.load_inline and call it (the CUDA kernel on every GPU). Valid Python 3.6.
"""

import os
import sys
import time

try:
    from .torchdesk_smoke_facts import toolchain_info
except ImportError:  # run as a script from the copied folder (Python 3.6 says ImportError)
    from torchdesk_smoke_facts import toolchain_info


EXT_CPP = r"""
#include <torch/extension.h>
torch::Tensor torchdesk_add_one(torch::Tensor x) { return x + 1; }
"""
EXT_CUDA_DECL = "torch::Tensor torchdesk_add_one_cuda(torch::Tensor x);"
EXT_CUDA = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
__global__ void torchdesk_add_one_kernel(const float* x, float* y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i] + 1.0f;
}
torch::Tensor torchdesk_add_one_cuda(torch::Tensor x) {
  TORCH_CHECK(x.is_cuda() && x.scalar_type() == torch::kFloat && x.is_contiguous(), "a contiguous float CUDA tensor");
  auto y = torch::empty_like(x);
  int n = (int) x.numel();
  torchdesk_add_one_kernel<<<(n + 255) / 256, 256>>>(x.data_ptr<float>(), y.data_ptr<float>(), n);
  cudaError_t err = cudaGetLastError();
  TORCH_CHECK(err == cudaSuccess, "kernel launch failed: ", cudaGetErrorString(err));
  return y;
}
"""


def _extension_checks(run, torch, on_gpu):
    """With the toolchain TorchDesk installed (and only then): build a C++ extension with load_inline and call it;
    where torch has CUDA and a GPU is there, also a CUDA kernel, launched on every GPU. A failure is a "fail"."""
    import shutil
    import tempfile

    tc = toolchain_info(sys.prefix)
    run.report["toolchain"] = tc
    if tc is None:
        return
    # What activation would set, for the compile only: CUDA_HOME, the arch list, and the env's own scripts
    # folder first on PATH (ninja from pip lands there; verify runs this python without activating the env).
    os.environ["CUDA_HOME"] = tc["cuda_home"]
    if tc["arch_list"]:
        os.environ["TORCH_CUDA_ARCH_LIST"] = tc["arch_list"]
    bindirs = [os.path.dirname(sys.executable), os.path.join(sys.prefix, "Scripts"), os.path.join(sys.prefix, "bin"),
               os.path.join(tc["cuda_home"], "bin")]
    os.environ["PATH"] = os.pathsep.join([d for d in bindirs if os.path.isdir(d)] + [os.environ.get("PATH", "")])
    build = tempfile.mkdtemp(prefix="torchdesk-ext-")  # never the user's ~/.cache/torch_extensions

    def load(name, **sources):
        run.stage("extension.build." + name)
        from torch.utils import cpp_extension

        cpp_extension.CUDA_HOME = tc["cuda_home"]  # read at import; the env var above covers a first import
        folder = os.path.join(build, name)
        os.mkdir(folder)
        t = time.time()
        mod = cpp_extension.load_inline(name=name, build_directory=folder, verbose=False, **sources)
        return mod, round(time.time() - t, 3)

    def cpp():
        mod, secs = load("torchdesk_ext_cpp", cpp_sources=[EXT_CPP], functions=["torchdesk_add_one"])
        got = mod.torchdesk_add_one(torch.arange(4, dtype=torch.float32)).tolist()
        return {"ok": got == [1.0, 2.0, 3.0, 4.0], "got": got, "build_s": secs, "cxx": os.environ.get("CXX", "c++")}

    def cuda():
        mod, secs = load("torchdesk_ext_cuda", cpp_sources=[EXT_CUDA_DECL], cuda_sources=[EXT_CUDA],
                         functions=["torchdesk_add_one_cuda"])
        out = {"build_s": secs, "gpus": []}
        for i in range(torch.cuda.device_count()):
            with torch.cuda.device(i):
                x = torch.arange(4, dtype=torch.float32, device="cuda:%d" % i)
                got = mod.torchdesk_add_one_cuda(x)
                torch.cuda.synchronize(i)
                out["gpus"].append({"index": i, "got": got.cpu().tolist()})
        out["ok"] = bool(out["gpus"]) and all(g["got"] == [1.0, 2.0, 3.0, 4.0] for g in out["gpus"])
        return out

    try:
        run.check("cpp_extension", cpp, severity="fail")
        if on_gpu and run.report["torch"].get("cuda"):
            run.check("cuda_extension", cuda, severity="fail")
        else:
            run.report["toolchain"]["cuda_extension"] = "skipped: %s" % (
                "this torch build has no CUDA" if not run.report["torch"].get("cuda") else "no GPU is available")
    finally:
        shutil.rmtree(build, ignore_errors=True)

