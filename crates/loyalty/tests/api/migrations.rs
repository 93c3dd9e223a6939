use std::collections::BTreeSet;
use std::path::Path;

fn folders(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_backends_have_the_same_migration_folders() {
    let pg = folders("postgres");
    assert!(!pg.is_empty());
    assert_eq!(pg, folders("sqlite"));
}

#[test]
fn migrations_go_up_down_and_up_again() {
    let db = cid_testkit::TestDb::new("loyalty");
    if db.is_postgres() {
        cid_kit::db::ensure_postgres_database(&db.url).unwrap();
    }
    let mut conn = db.connect();
    let up = cid_kit::db::run_migrations(&mut conn, &cid_loyalty::MIGRATIONS).unwrap();
    assert!(up >= 2, "kit and loyalty migrations applied");
    let down = cid_kit::db::revert_all(&mut conn, &cid_loyalty::MIGRATIONS).unwrap();
    assert_eq!(down, up);
    assert_eq!(
        cid_kit::db::run_migrations(&mut conn, &cid_loyalty::MIGRATIONS).unwrap(),
        up
    );
}
