"""Report contents (pure) and their renderings: XLSX, PDF with a chart, CSV."""
