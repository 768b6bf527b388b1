"""Pydantic models: the project input, the parsed pack and the verdict."""
