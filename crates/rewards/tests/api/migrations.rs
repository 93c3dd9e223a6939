//! The schema on both backends.

#[test]
fn migrations_match_and_run_down_and_up_again() {
    cid_testkit::migrations::assert_same_folders(env!("CARGO_MANIFEST_DIR"));
    cid_testkit::migrations::assert_up_down_up(cid_rewards::SERVICE, &cid_rewards::MIGRATIONS);
}
