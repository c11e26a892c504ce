"""Test doubles that speak real wire protocols, so the real client libraries run unchanged against them."""
