//! The schema on both backends.

#[test]
fn both_backends_have_the_same_migration_folders() {
    cid_testkit::migrations::assert_same_folders(env!("CARGO_MANIFEST_DIR"));
}

#[test]
fn migrations_go_up_down_and_up_again() {
    cid_testkit::migrations::assert_up_down_up("referral", &cid_referral::MIGRATIONS);
}
