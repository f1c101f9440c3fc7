"""Every feature's commands, one module per feature. Importing this package imports none of them: each command
is listed in bot/commands.json (`bot.manifest`) and its module is imported when it first runs (`Command.load`)."""
