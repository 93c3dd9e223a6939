#[test]
fn both_backends_have_the_same_migration_folders() {
    cid_testkit::migrations::assert_same_folders(env!("CARGO_MANIFEST_DIR"));
}

#[test]
fn migrations_go_up_down_and_up_again() {
    let ran = cid_testkit::migrations::assert_up_down_up("loyalty", &cid_loyalty::MIGRATIONS);
    assert!(ran >= 3, "kit and loyalty migrations applied");
}
