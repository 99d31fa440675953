"""Reports (báo cáo): versioned, hashed reports with attachments, consolidation and XLSX export."""
