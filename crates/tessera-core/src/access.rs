//! Rules about access items: what a grant request may ask for, which items need the resource
//! owner's consent, and which granted items satisfy what a resource server asks about.

use std::collections::HashSet;
use std::hash::Hash;

use tessera_proto::access::{IncomingPaymentAction, OutgoingPaymentAction, QuoteAction};
use tessera_proto::{AccessItem, Amount, OutgoingPaymentLimits};

use crate::error::GnapError;

/// The spec's `maxItems` for `access`.
pub const MAX_ACCESS_ITEMS: usize = 3;

/// Checks what the OpenAPI schema says and serde cannot: item count, unique items and actions,
/// non-empty actions, the outgoing-payment identifier, and well-formed limits.
pub fn validate_access(items: &[AccessItem]) -> Result<(), GnapError> {
    if items.is_empty() {
        return Err(GnapError::InvalidRequest(
            "access must list at least one item".into(),
        ));
    }
    if items.len() > MAX_ACCESS_ITEMS {
        return Err(GnapError::InvalidRequest(format!(
            "access may list at most {MAX_ACCESS_ITEMS} items"
        )));
    }
    for (i, item) in items.iter().enumerate() {
        if items[..i].contains(item) {
            return Err(GnapError::InvalidRequest(
                "access items must be unique".into(),
            ));
        }
        validate_item(item)?;
    }
    Ok(())
}

fn validate_item(item: &AccessItem) -> Result<(), GnapError> {
    match item {
        AccessItem::IncomingPayment {
            actions,
            identifier,
        } => {
            check_actions(actions)?;
            check_identifier(identifier.as_deref())
        }
        AccessItem::OutgoingPayment {
            actions,
            identifier,
            limits,
        } => {
            check_actions(actions)?;
            let Some(identifier) = identifier else {
                return Err(GnapError::InvalidRequest(
                    "outgoing-payment access requires an identifier".into(),
                ));
            };
            check_identifier(Some(identifier))?;
            limits.as_ref().map_or(Ok(()), validate_limits)
        }
        AccessItem::Quote { actions } => check_actions(actions),
    }
}

fn check_actions<A: Eq + Hash>(actions: &[A]) -> Result<(), GnapError> {
    if actions.is_empty() {
        return Err(GnapError::InvalidRequest(
            "actions must not be empty".into(),
        ));
    }
    let unique: HashSet<&A> = actions.iter().collect();
    if unique.len() != actions.len() {
        return Err(GnapError::InvalidRequest("actions must be unique".into()));
    }
    Ok(())
}

fn check_identifier(identifier: Option<&str>) -> Result<(), GnapError> {
    match identifier {
        None => Ok(()),
        Some(id) => match url::Url::parse(id) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(()),
            _ => Err(GnapError::InvalidRequest(
                "identifier must be an http(s) URL".into(),
            )),
        },
    }
}

/// `limits-outgoing`: at most one of `debitAmount`/`receiveAmount`, amounts are uint64 strings,
/// `receiver` is an incoming-payment URL. `interval` is carried verbatim (the RS interprets it).
pub fn validate_limits(limits: &OutgoingPaymentLimits) -> Result<(), GnapError> {
    if limits.debit_amount.is_some() && limits.receive_amount.is_some() {
        return Err(GnapError::InvalidRequest(
            "only one access amount allowed".into(),
        ));
    }
    for amount in [&limits.debit_amount, &limits.receive_amount]
        .into_iter()
        .flatten()
    {
        validate_amount(amount)?;
    }
    if let Some(receiver) = &limits.receiver {
        let ok = url::Url::parse(receiver).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.path().contains("/incoming-payments/")
        });
        if !ok {
            return Err(GnapError::InvalidRequest(
                "receiver must be an incoming payment URL".into(),
            ));
        }
    }
    if limits
        .interval
        .as_deref()
        .is_some_and(|i| !is_repeating_interval(i))
    {
        return Err(GnapError::InvalidRequest(
            "interval must be an ISO 8601 repeating interval, e.g. R/2026-01-01T00:00:00Z/P1M"
                .into(),
        ));
    }
    Ok(())
}

/// ISO 8601 repeating interval as Open Payments uses it: `R[n]/<start>/<duration>` or
/// `R[n]/<duration>/<end>` (a date-time and a duration). Checked by shape, not calendar: the
/// resource server applies it; what matters here is refusing what no one could apply.
fn is_repeating_interval(interval: &str) -> bool {
    let parts: Vec<&str> = interval.split('/').collect();
    let [repeat, a, b] = parts.as_slice() else {
        return false;
    };
    let repeat_ok = repeat
        .strip_prefix('R')
        .is_some_and(|n| n.bytes().all(|c| c.is_ascii_digit()));
    repeat_ok && ((is_date_time(a) && is_duration(b)) || (is_duration(a) && is_date_time(b)))
}

/// `P` followed by number-unit pairs (`Y M W D`, then `T` and `H M S`), at least one pair.
fn is_duration(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let pairs_ok = |part: &str, units: &str| {
        let mut digits = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                digits += 1;
            } else if units.contains(c) && digits > 0 {
                digits = 0;
            } else {
                return false;
            }
        }
        digits == 0
    };
    let has_pair = |part: &str| part.chars().any(|c| c.is_ascii_alphabetic());
    pairs_ok(date, "YMWD")
        && time.is_none_or(|t| !t.is_empty() && pairs_ok(t, "HMS"))
        && (has_pair(date) || time.is_some_and(has_pair))
}

/// `YYYY-MM-DD` optionally followed by `T` and a time with an optional zone.
fn is_date_time(text: &str) -> bool {
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let d = date.as_bytes();
    let date_ok = d.len() == 10
        && d[4] == b'-'
        && d[7] == b'-'
        && d.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    date_ok
        && time.is_none_or(|t| {
            t.len() >= 5
                && t.bytes().take(2).all(|c| c.is_ascii_digit())
                && t.as_bytes().get(2) == Some(&b':')
                && t.bytes()
                    .all(|c| c.is_ascii_digit() || matches!(c, b':' | b'.' | b'Z' | b'+' | b'-'))
        })
}

fn validate_amount(amount: &Amount) -> Result<(), GnapError> {
    let digits_only = !amount.value.is_empty() && amount.value.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || amount.value.parse::<u64>().is_err() {
        return Err(GnapError::InvalidRequest(
            "amount value must be an unsigned 64-bit integer".into(),
        ));
    }
    if amount.asset_code.is_empty() {
        return Err(GnapError::InvalidRequest(
            "amount assetCode must not be empty".into(),
        ));
    }
    Ok(())
}

/// Whether issuing this item needs the resource owner's consent. Outgoing payments move money,
/// so they always do; incoming payments and quotes are issued at once unless they ask to see
/// every resource of the wallet (`list-all`/`read-all`), as the reference server's default policy.
pub fn needs_interaction(item: &AccessItem) -> bool {
    match item {
        AccessItem::OutgoingPayment { .. } => true,
        AccessItem::IncomingPayment { actions, .. } => {
            actions.contains(&IncomingPaymentAction::ListAll)
        }
        AccessItem::Quote { .. } => false,
    }
}

/// The granted items that satisfy at least one requested item (token introspection).
/// An item satisfies a request when the types are equal, every requested action is granted
/// (`read` is covered by `read-all`, `list` by `list-all`), the identifiers are equal where both
/// have one, and requested limits, if any, equal the granted ones.
pub fn matching_access(granted: &[AccessItem], requested: &[AccessItem]) -> Vec<AccessItem> {
    granted
        .iter()
        .filter(|g| requested.iter().any(|r| satisfies(g, r)))
        .cloned()
        .collect()
}

fn satisfies(granted: &AccessItem, requested: &AccessItem) -> bool {
    use AccessItem::*;
    match (granted, requested) {
        (
            IncomingPayment {
                actions: ga,
                identifier: gi,
            },
            IncomingPayment {
                actions: ra,
                identifier: ri,
            },
        ) => same_identifier(gi, ri) && ra.iter().all(|a| incoming_granted(ga, *a)),
        (
            OutgoingPayment {
                actions: ga,
                identifier: gi,
                limits: gl,
            },
            OutgoingPayment {
                actions: ra,
                identifier: ri,
                limits: rl,
            },
        ) => {
            same_identifier(gi, ri)
                && rl.as_ref().is_none_or(|rl| gl.as_ref() == Some(rl))
                && ra.iter().all(|a| outgoing_granted(ga, *a))
        }
        (Quote { actions: ga }, Quote { actions: ra }) => ra.iter().all(|a| quote_granted(ga, *a)),
        _ => false,
    }
}

fn same_identifier(granted: &Option<String>, requested: &Option<String>) -> bool {
    match (granted, requested) {
        (Some(g), Some(r)) => g == r,
        _ => true,
    }
}

fn incoming_granted(granted: &[IncomingPaymentAction], wanted: IncomingPaymentAction) -> bool {
    use IncomingPaymentAction::*;
    granted.contains(&wanted)
        || (wanted == Read && granted.contains(&ReadAll))
        || (wanted == List && granted.contains(&ListAll))
}

fn outgoing_granted(granted: &[OutgoingPaymentAction], wanted: OutgoingPaymentAction) -> bool {
    use OutgoingPaymentAction::*;
    granted.contains(&wanted)
        || (wanted == Read && granted.contains(&ReadAll))
        || (wanted == List && granted.contains(&ListAll))
}

fn quote_granted(granted: &[QuoteAction], wanted: QuoteAction) -> bool {
    granted.contains(&wanted)
        || (wanted == QuoteAction::Read && granted.contains(&QuoteAction::ReadAll))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: serde_json::Value) -> AccessItem {
        serde_json::from_value(v).unwrap()
    }

    fn incoming(actions: serde_json::Value) -> AccessItem {
        item(
            json!({"type": "incoming-payment", "actions": actions, "identifier": "https://w.example/bob"}),
        )
    }

    #[test]
    fn too_many_duplicate_or_empty_items_are_invalid_requests() {
        let one = incoming(json!(["read"]));
        assert!(validate_access(std::slice::from_ref(&one)).is_ok());
        assert!(matches!(
            validate_access(&[]),
            Err(GnapError::InvalidRequest(_))
        ));
        assert!(matches!(
            validate_access(&[one.clone(), one.clone()]),
            Err(GnapError::InvalidRequest(_))
        ));
        let four: Vec<_> = ["read", "create", "list", "complete"]
            .iter()
            .map(|a| incoming(json!([a])))
            .collect();
        assert!(matches!(
            validate_access(&four),
            Err(GnapError::InvalidRequest(_))
        ));
        assert!(matches!(
            validate_access(&[incoming(json!([]))]),
            Err(GnapError::InvalidRequest(_))
        ));
        assert!(matches!(
            validate_access(&[incoming(json!(["read", "read"]))]),
            Err(GnapError::InvalidRequest(_))
        ));
    }

    #[test]
    fn outgoing_payment_needs_identifier_and_one_amount() {
        let no_id = item(json!({"type": "outgoing-payment", "actions": ["create"]}));
        assert!(validate_access(&[no_id]).is_err());
        let both = item(
            json!({"type": "outgoing-payment", "actions": ["create"], "identifier": "https://w.example/a",
            "limits": {"debitAmount": {"value": "1", "assetCode": "USD", "assetScale": 2},
                       "receiveAmount": {"value": "1", "assetCode": "USD", "assetScale": 2}}}),
        );
        assert!(validate_access(&[both]).is_err());
        let negative = item(
            json!({"type": "outgoing-payment", "actions": ["create"], "identifier": "https://w.example/a",
            "limits": {"debitAmount": {"value": "-1", "assetCode": "USD", "assetScale": 2}}}),
        );
        assert!(validate_access(&[negative]).is_err());
        let good = item(
            json!({"type": "outgoing-payment", "actions": ["create"], "identifier": "https://w.example/a",
            "limits": {"debitAmount": {"value": "18446744073709551615", "assetCode": "USD", "assetScale": 2},
                       "receiver": "https://w.example/bob/incoming-payments/1", "interval": "R12/2019-08-24T14:15:22Z/P1M"}}),
        );
        assert!(validate_access(&[good]).is_ok());
    }

    #[test]
    fn outgoing_payments_and_list_all_need_interaction() {
        assert!(!needs_interaction(&incoming(json!(["create", "read"]))));
        assert!(needs_interaction(&incoming(json!(["list-all"]))));
        assert!(!needs_interaction(&item(
            json!({"type": "quote", "actions": ["create"]})
        )));
        assert!(needs_interaction(&item(
            json!({"type": "outgoing-payment", "actions": ["read"], "identifier": "https://w.example/a"})
        )));
    }

    #[test]
    fn matching_honours_all_variants_and_identifiers() {
        let granted = vec![
            incoming(json!(["create", "read-all"])),
            item(json!({"type": "quote", "actions": ["create"]})),
        ];
        let read = incoming(json!(["read"]));
        assert_eq!(matching_access(&granted, &[read]), vec![granted[0].clone()]);
        let other_wallet = item(
            json!({"type": "incoming-payment", "actions": ["read"], "identifier": "https://w.example/eve"}),
        );
        assert!(matching_access(&granted, &[other_wallet]).is_empty());
        let no_identifier = item(json!({"type": "incoming-payment", "actions": ["create"]}));
        assert_eq!(matching_access(&granted, &[no_identifier]).len(), 1);
        let complete = incoming(json!(["complete"]));
        assert!(matching_access(&granted, &[complete]).is_empty());
        let quote_read = item(json!({"type": "quote", "actions": ["read"]}));
        assert!(matching_access(&granted, &[quote_read]).is_empty());
        assert!(matching_access(&granted, &[]).is_empty());
    }

    #[test]
    fn repeating_intervals() {
        for ok in [
            "R/2026-11-23T00:00:00Z/P1M",
            "R12/2026-11-23T08:00:00.000+01:00/P1W",
            "R/P1DT12H/2026-12-01T00:00:00Z",
            "R3/2026-01-01/PT30M",
        ] {
            assert!(is_repeating_interval(ok), "{ok}");
        }
        for bad in [
            "",
            "P1M",
            "R/P1M",
            "R/2026-11-23T00:00:00Z/2026-12-23T00:00:00Z",
            "Rx/2026-11-23T00:00:00Z/P1M",
            "R/2026-11-23T00:00:00Z/P",
            "R/2026-11-23T00:00:00Z/PT",
            "R/2026-11-23T00:00:00Z/P1X",
            "R/yesterday/P1M",
            "R/2026-11-23T00:00:00Z/P1M/extra",
        ] {
            assert!(!is_repeating_interval(bad), "{bad}");
        }
    }
}
