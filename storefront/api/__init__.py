"""Shared REST plumbing: the error format and pagination."""
