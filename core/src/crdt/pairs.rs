//! Serde helper: a map whose keys are not strings (dots, elements, contexts) travels as a
//! list of `[key, value]` pairs, which every format can carry. Use with
//! `#[serde(with = "super::pairs")]`.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub(crate) fn serialize<S: Serializer, K: Serialize, V: Serialize>(
    map: &BTreeMap<K, V>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(map.iter())
}

pub(crate) fn deserialize<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    let pairs: Vec<(K, V)> = Vec::deserialize(d)?;
    let n = pairs.len();
    let map: BTreeMap<K, V> = pairs.into_iter().collect();
    if map.len() != n {
        return Err(D::Error::custom("the same key appears twice"));
    }
    Ok(map)
}
