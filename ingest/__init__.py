"""How knowledge enters Chokepoint: curated YAML in data/ becomes a validated RDF graph."""
