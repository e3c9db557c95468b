"""The archiver role: confirmed blocks into stored segments and pieces; history views for plotting."""
