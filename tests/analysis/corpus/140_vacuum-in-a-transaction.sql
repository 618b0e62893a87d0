VACUUM profiles;
