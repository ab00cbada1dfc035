"""Tools for assistants: the checks as MCP tools and resources (server.py), over a Workspace."""
