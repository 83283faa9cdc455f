"""The Discord side: the bot client, slash commands built from command specs, and embed rendering."""
