"""Use cases: what Warroom does, independent of Slack and of the database."""
