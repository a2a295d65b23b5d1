"""How Chokepoint is served: one module per surface (GraphQL, SPARQL, exports, CLI)."""
