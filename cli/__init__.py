"""The `autonomys` command line: one module per command group, all registered in cli.main."""
