GRANT SELECT ON profiles TO reporting;
