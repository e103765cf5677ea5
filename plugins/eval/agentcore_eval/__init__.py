"""agentcore-eval: ``agentcore eval`` — the papers' benchmarks and ROUGE/BLEU, batch on Dask."""
