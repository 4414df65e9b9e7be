"""Endpoint load testing: arrival processes, a load stage against an OpenAI-compatible server,
goodput under SLOs (`evalharness load`)."""
