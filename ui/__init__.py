"""Shared Streamlit helpers for the kdviz pages (kdviz/ itself never imports Streamlit)."""
