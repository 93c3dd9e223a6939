//! The use cases under a controlled clock (they take `now`): steps either side, the lock's
//! end, and wrong codes leaving the window — on the real database, minutes apart in no time.

use chrono::{Duration, NaiveDateTime};
use cid_security::domain::sealing::Keyring;
use cid_security::domain::{Given, Lockout, totp};
use cid_security::error::SecurityError;
use cid_security::ops::{self, Codes, Verdict};

fn t0() -> NaiveDateTime {
    // 1,111,111,111 s: a step boundary of RFC 6238's table is near.
    chrono::DateTime::from_timestamp(1_111_111_110, 0)
        .unwrap()
        .naive_utc()
}

fn keyring() -> Keyring {
    let s = cid_security::SecuritySettings::default();
    Keyring::new(&s.active_key, &s.keys).unwrap()
}

fn code_at(secret: &[u8], at: NaiveDateTime) -> Given {
    Given::Totp(totp::code(secret, totp::step_at(at.and_utc().timestamp())))
}

/// A customer with 2FA confirmed at `t0`: their secret.
fn protected(conn: &mut cid_kit::DbConnection, codes: &Codes<'_>) -> Vec<u8> {
    let secret = ops::enable(conn, "CID-2026-000001", codes.keyring, t0())
        .unwrap()
        .secret;
    let verdict = ops::verify(
        conn,
        "CID-2026-000001",
        &code_at(&secret, t0()),
        codes,
        "r",
        t0(),
    )
    .unwrap();
    assert!(matches!(verdict, Verdict::Accepted(_)));
    secret
}

#[test]
fn a_code_is_good_one_step_either_side_and_never_twice() {
    let (_db, mut conn) = cid_testkit::TestDb::migrated("security", &cid_security::MIGRATIONS);
    let (ring, lockout) = (keyring(), Lockout::default());
    let codes = Codes {
        keyring: &ring,
        lockout: &lockout,
    };
    let secret = protected(&mut conn, &codes);
    let c = "CID-2026-000001";
    let check = |conn: &mut cid_kit::DbConnection, code: &Given, now: NaiveDateTime| {
        matches!(
            ops::check(conn, c, code, &codes, "r", now).unwrap(),
            Verdict::Accepted(_)
        )
    };
    let later = t0() + Duration::seconds(60);
    // The code of 30 s earlier is within the window; of 60 s earlier, not.
    assert!(check(
        &mut conn,
        &code_at(&secret, later - Duration::seconds(30)),
        later
    ));
    assert!(!check(
        &mut conn,
        &code_at(&secret, later - Duration::seconds(60)),
        later
    ));
    // Its own step, after an older one was used: fine once, then a replay.
    assert!(check(&mut conn, &code_at(&secret, later), later));
    assert!(!check(
        &mut conn,
        &code_at(&secret, later),
        later + Duration::seconds(1)
    ));
}

#[test]
fn the_lock_ends_after_its_minutes_and_old_failures_stop_counting() {
    let (_db, mut conn) = cid_testkit::TestDb::migrated("security", &cid_security::MIGRATIONS);
    let (ring, lockout) = (keyring(), Lockout::default());
    let codes = Codes {
        keyring: &ring,
        lockout: &lockout,
    };
    let secret = protected(&mut conn, &codes);
    let c = "CID-2026-000001";
    let wrong = Given::Totp("000000".into());
    // Four wrong codes, then 16 minutes pass: they no longer count.
    for n in 0..4 {
        let at = t0() + Duration::minutes(n);
        assert!(matches!(
            ops::check(&mut conn, c, &wrong, &codes, "r", at).unwrap(),
            Verdict::Refused { locked: None }
        ));
    }
    let later = t0() + Duration::minutes(20);
    assert!(matches!(
        ops::check(&mut conn, c, &wrong, &codes, "r", later).unwrap(),
        Verdict::Refused { locked: None }
    ));
    // Four more within the window lock it at the fifth.
    for n in 1..=3 {
        let at = later + Duration::minutes(n);
        assert!(matches!(
            ops::check(&mut conn, c, &wrong, &codes, "r", at).unwrap(),
            Verdict::Refused { locked: None }
        ));
    }
    let fifth = later + Duration::minutes(4);
    let Verdict::Refused {
        locked: Some(until),
    } = ops::check(&mut conn, c, &wrong, &codes, "r", fifth).unwrap()
    else {
        panic!("the fifth wrong code locks");
    };
    assert_eq!(until, fifth + Duration::minutes(15));
    let during = until - Duration::seconds(1);
    assert!(matches!(
        ops::check(&mut conn, c, &code_at(&secret, during), &codes, "r", during),
        Err(SecurityError::Locked { .. })
    ));
    // After it: the right code works, and one wrong code does not lock again.
    let after = until + Duration::seconds(1);
    assert!(matches!(
        ops::check(&mut conn, c, &wrong, &codes, "r", after).unwrap(),
        Verdict::Refused { locked: None }
    ));
    assert!(matches!(
        ops::check(&mut conn, c, &code_at(&secret, after), &codes, "r", after).unwrap(),
        Verdict::Accepted(_)
    ));
}

#[test]
fn a_secret_under_a_retired_key_moves_to_the_active_key_when_a_code_is_accepted() {
    use std::collections::BTreeMap;
    let (_db, mut conn) = cid_testkit::TestDb::migrated("security", &cid_security::MIGRATIONS);
    let key = |b: u8| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([b; 32])
    };
    let old = Keyring::new("k1", &BTreeMap::from([("k1".to_owned(), key(1))])).unwrap();
    let both = Keyring::new(
        "k2",
        &BTreeMap::from([("k1".to_owned(), key(1)), ("k2".to_owned(), key(2))]),
    )
    .unwrap();
    let only_new = Keyring::new("k2", &BTreeMap::from([("k2".to_owned(), key(2))])).unwrap();
    let lockout = Lockout::default();
    let secret = protected(
        &mut conn,
        &Codes {
            keyring: &old,
            lockout: &lockout,
        },
    );
    let c = "CID-2026-000001";
    let at = t0() + Duration::seconds(30);
    // Rotated: the old key still opens it, and the accepted code moves it to k2...
    let rotated = Codes {
        keyring: &both,
        lockout: &lockout,
    };
    let verdict = ops::check(&mut conn, c, &code_at(&secret, at), &rotated, "r", at).unwrap();
    assert!(matches!(verdict, Verdict::Accepted(_)));
    // ...so k1 can go.
    let later = at + Duration::seconds(30);
    let new_only = Codes {
        keyring: &only_new,
        lockout: &lockout,
    };
    let verdict = ops::check(
        &mut conn,
        c,
        &code_at(&secret, later),
        &new_only,
        "r",
        later,
    )
    .unwrap();
    assert!(matches!(verdict, Verdict::Accepted(_)));
}
