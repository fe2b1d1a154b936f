"""Code the portal's Lambda functions share: settings, AWS clients, domain errors and data access."""
