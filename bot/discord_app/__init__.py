"""The Discord adapter: bot class, cogs, components, reply rendering and the error handler. No decisions here."""
