"""The pages caseworkers and auditors use: server-rendered HTML over the same services as the API."""
