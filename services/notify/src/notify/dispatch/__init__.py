"""Sending: providers (gateways, SMTP) and the two dispatchers (residents, agencies' webhooks)."""
