"""The read path: kept entry heads (``heads``), cached renderings (``rendering``), and
the LRU map they use (``lru``). See docs/kept-heads.md."""
