"""Slack adapter: thin listeners (parse -> ack -> one use case -> render) and Block Kit builders."""
