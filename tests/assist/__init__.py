"""The MCP server: its tools, resources and transports, as an assistant meets them through the SDK's client."""
