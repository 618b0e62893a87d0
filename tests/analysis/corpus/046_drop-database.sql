-- truss:no-transaction
DROP DATABASE old_reports;
