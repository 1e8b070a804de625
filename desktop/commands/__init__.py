"""One module per `torchdesk` subcommand: `add_arguments(parser)` and `run(args) -> int`."""
