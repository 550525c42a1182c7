"""Furusato infrastructure (AWS CDK, Python)."""
