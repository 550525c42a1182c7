"""Lambda handlers of the stack's own custom resources (bundled with `shared/`; no aws_cdk import here)."""
