//! The schema on both backends.

#[test]
fn migration_folders_match_on_both_backends() {
    cid_testkit::migrations::assert_same_folders(env!("CARGO_MANIFEST_DIR"));
}

#[test]
fn migrations_go_up_down_and_up_again() {
    cid_testkit::migrations::assert_up_down_up("security", &cid_security::MIGRATIONS);
}
