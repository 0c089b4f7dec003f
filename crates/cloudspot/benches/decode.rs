//! Decoding cost of the lenient models: a list of 1,000 full articles (prices as strings and
//! numbers, nested photos, tiers and categories) and 1,000 customers.
#![allow(missing_docs, clippy::unwrap_used)]

use cloudspot::{Article, Customer};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn list(item: &str, n: usize) -> Vec<u8> {
    let items = vec![item.trim(); n].join(",");
    format!("[{items}]").into_bytes()
}

fn decode(c: &mut Criterion) {
    let articles = list(include_str!("../tests/data/artikel_full.json"), 1000);
    let customers = list(include_str!("../tests/data/klant_full.json"), 1000);
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Bytes(articles.len() as u64));
    g.bench_function("articles_1000", |b| {
        b.iter(|| serde_json::from_slice::<Vec<Article>>(&articles).unwrap())
    });
    g.throughput(Throughput::Bytes(customers.len() as u64));
    g.bench_function("customers_1000", |b| {
        b.iter(|| serde_json::from_slice::<Vec<Customer>>(&customers).unwrap())
    });
    g.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
