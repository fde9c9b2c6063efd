//! Access rights (`access-item` in auth-server.yaml): what a token lets its holder do at the RS.

use serde::{Deserialize, Serialize};

/// One access item. The spec's `oneOf` on `type` with `unevaluatedProperties: false`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum AccessItem {
    IncomingPayment {
        actions: Vec<IncomingPaymentAction>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identifier: Option<String>,
    },
    OutgoingPayment {
        actions: Vec<OutgoingPaymentAction>,
        /// Required by the spec for outgoing payments; kept optional here so that a missing
        /// identifier is reported as a GNAP `invalid_request` rather than a JSON parse error.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identifier: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limits: Option<OutgoingPaymentLimits>,
    },
    Quote {
        actions: Vec<QuoteAction>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncomingPaymentAction {
    Create,
    Complete,
    Read,
    ReadAll,
    List,
    ListAll,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutgoingPaymentAction {
    Create,
    Read,
    ReadAll,
    List,
    ListAll,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QuoteAction {
    Create,
    Read,
    ReadAll,
}

/// `limits-outgoing`: maxima per interval under which outgoing payments may be created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutgoingPaymentLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debit_amount: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receive_amount: Option<Amount>,
}

/// `amount`: `value` is an unsigned 64-bit integer carried as a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Amount {
    pub value: String,
    pub asset_code: String,
    pub asset_scale: u8,
}

impl AccessItem {
    /// The spec's name of the item's type, as it appears in `type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            AccessItem::IncomingPayment { .. } => "incoming-payment",
            AccessItem::OutgoingPayment { .. } => "outgoing-payment",
            AccessItem::Quote { .. } => "quote",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn incoming_payment_round_trips_without_nulls() {
        let item: AccessItem = serde_json::from_value(
            json!({"type": "incoming-payment", "actions": ["create", "read-all"], "identifier": null}),
        )
        .unwrap();
        assert_eq!(
            item,
            AccessItem::IncomingPayment {
                actions: vec![
                    IncomingPaymentAction::Create,
                    IncomingPaymentAction::ReadAll
                ],
                identifier: None
            }
        );
        assert_eq!(
            serde_json::to_value(&item).unwrap(),
            json!({"type": "incoming-payment", "actions": ["create", "read-all"]})
        );
    }

    #[test]
    fn unknown_fields_and_types_are_refused() {
        let extra = json!({"type": "quote", "actions": ["create"], "identifier": "https://x"});
        assert!(serde_json::from_value::<AccessItem>(extra).is_err());
        let unknown = json!({"type": "teleport", "actions": ["create"]});
        assert!(serde_json::from_value::<AccessItem>(unknown).is_err());
        let bad_action = json!({"type": "quote", "actions": ["complete"]});
        assert!(serde_json::from_value::<AccessItem>(bad_action).is_err());
    }

    #[test]
    fn outgoing_limits_keep_their_wire_names() {
        let wire = json!({
            "type": "outgoing-payment", "actions": ["create"], "identifier": "https://w.example/alice",
            "limits": {"debitAmount": {"value": "500", "assetCode": "USD", "assetScale": 2},
                       "interval": "R12/2019-08-24T14:15:22Z/P1M"}
        });
        let item: AccessItem = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(serde_json::to_value(&item).unwrap(), wire);
    }
}
