//! Connection rules drawn in `O(synapses)` (the ring rule excepted), in canonical
//! `(pre, post)` order, from random streams keyed per neuron: the same network for any
//! number of threads.

use crate::config::{ConnectRule, EdgeList};
use neurodyn_core::rng::stream;
use neurodyn_core::{RangeError, check};
use rand::RngExt;

/// Synapses of one projection sorted by `(pre, post)`; multapses keep their draw order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Edges {
    /// Presynaptic index of each synapse.
    pub pre: Vec<u32>,
    /// Postsynaptic index of each synapse.
    pub post: Vec<u32>,
    /// Per-synapse weights from an edge list (empty: use the projection's distribution).
    pub weight: Vec<f64>,
    /// Per-synapse delays from an edge list [ms] (empty: use the projection's distribution).
    pub delay: Vec<f64>,
}

impl Edges {
    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.pre.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.pre.is_empty()
    }
}

/// Draws the synapses of a projection between populations of `n_pre` and `n_post` neurons;
/// `same` says whether they are the same population (autapses are then possible). Random
/// streams are `(seed, "connect/<name>", neuron)`.
pub fn connect(
    rule: &ConnectRule,
    n_pre: usize,
    n_post: usize,
    same: bool,
    autapses: bool,
    multapses: bool,
    seed: u64,
    name: &str,
) -> Result<Edges, RangeError> {
    let object = format!("connect/{name}");
    let allowed = |i: usize, j: usize| autapses || !same || i != j;
    let mut edges = Edges::default();
    match *rule {
        ConnectRule::FixedProbability { p } => {
            check((0.0..=1.0).contains(&p), "p", p, "a probability in [0, 1]")?;
            if p > 0.0 {
                let log_q = (1.0 - p).ln();
                for i in 0..n_pre {
                    let mut rng = stream(seed, &object, i as u64);
                    // Geometric gaps between successes: O(synapses), not O(n_pre · n_post).
                    let mut j = 0usize;
                    loop {
                        if p < 1.0 {
                            let u: f64 = rng.random();
                            let gap = ((1.0 - u).ln() / log_q).floor();
                            if gap >= (n_post - j) as f64 {
                                break;
                            }
                            j += gap as usize;
                        }
                        if j >= n_post {
                            break;
                        }
                        if allowed(i, j) {
                            edges.pre.push(i as u32);
                            edges.post.push(j as u32);
                        }
                        j += 1;
                    }
                }
            }
        }
        ConnectRule::FixedIndegree { k } => {
            let available = if same && !autapses { n_pre.saturating_sub(1) } else { n_pre };
            check(
                multapses || k <= available,
                "k",
                k,
                &format!("at most {available} without multapses"),
            )?;
            check(n_pre > 0 || k == 0, "k", k, "0 for an empty presynaptic population")?;
            let mut by_post = Vec::with_capacity(n_post * k);
            for j in 0..n_post {
                let mut rng = stream(seed, &object, j as u64);
                let chosen = choose(&mut rng, n_pre, k, multapses, |i| allowed(i, j));
                by_post.extend(chosen.into_iter().map(|i| (i as u32, j as u32)));
            }
            sort_by_pre(by_post, n_pre, &mut edges);
        }
        ConnectRule::FixedOutdegree { k } => {
            let available = if same && !autapses { n_post.saturating_sub(1) } else { n_post };
            check(
                multapses || k <= available,
                "k",
                k,
                &format!("at most {available} without multapses"),
            )?;
            check(n_post > 0 || k == 0, "k", k, "0 for an empty postsynaptic population")?;
            for i in 0..n_pre {
                let mut rng = stream(seed, &object, i as u64);
                let mut chosen = choose(&mut rng, n_post, k, multapses, |j| allowed(i, j));
                chosen.sort_unstable();
                for j in chosen {
                    edges.pre.push(i as u32);
                    edges.post.push(j as u32);
                }
            }
        }
        ConnectRule::AllToAll {} => {
            for i in 0..n_pre {
                for j in (0..n_post).filter(|&j| allowed(i, j)) {
                    edges.pre.push(i as u32);
                    edges.post.push(j as u32);
                }
            }
        }
        ConnectRule::OneToOne {} => {
            check(n_pre == n_post, "one_to_one", format!("{n_pre} → {n_post}"), "equal sizes")?;
            edges.pre = (0..n_pre as u32).collect();
            edges.post = edges.pre.clone();
        }
        ConnectRule::Ring { p_max, sigma } => {
            check((0.0..=1.0).contains(&p_max), "p_max", p_max, "a probability in [0, 1]")?;
            check(sigma > 0.0 && sigma.is_finite(), "sigma", sigma, "a finite value > 0")?;
            for i in 0..n_pre {
                let mut rng = stream(seed, &object, i as u64);
                let x = i as f64 / n_pre as f64;
                for j in 0..n_post {
                    let d = (x - j as f64 / n_post as f64).abs();
                    let d = d.min(1.0 - d);
                    let p = p_max * (-d * d / (2.0 * sigma * sigma)).exp();
                    if rng.random::<f64>() < p && allowed(i, j) {
                        edges.pre.push(i as u32);
                        edges.post.push(j as u32);
                    }
                }
            }
        }
        ConnectRule::File { ref path } => {
            return Err(RangeError {
                field: "file.path".into(),
                value: format!("{path:?}"),
                expected: "a file loaded by the spec reader before the network is built".into(),
            });
        }
        ConnectRule::List(ref list) => return from_list(list, n_pre, n_post),
    }
    Ok(edges)
}

/// `k` indices in `0..n` satisfying `ok`, distinct unless `multapses`, in draw order.
fn choose(
    rng: &mut impl rand::Rng,
    n: usize,
    k: usize,
    multapses: bool,
    ok: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let mut chosen = Vec::with_capacity(k);
    if multapses {
        while chosen.len() < k {
            let i = rng.random_range(0..n);
            if ok(i) {
                chosen.push(i);
            }
        }
    } else if 2 * k >= n {
        // Dense: a partial Fisher–Yates shuffle of the allowed indices.
        let mut pool: Vec<usize> = (0..n).filter(|&i| ok(i)).collect();
        for m in 0..k {
            let r = rng.random_range(m..pool.len());
            pool.swap(m, r);
            chosen.push(pool[m]);
        }
    } else {
        // Sparse: rejection against a sorted set of what is taken (k ≪ n).
        let mut taken: Vec<usize> = Vec::with_capacity(k);
        while chosen.len() < k {
            let i = rng.random_range(0..n);
            if let Err(at) = taken.binary_search(&i)
                && ok(i)
            {
                taken.insert(at, i);
                chosen.push(i);
            }
        }
    }
    chosen
}

/// Counting sort of `(pre, post)` pairs by `pre`, stable, so posts stay in drawn order.
fn sort_by_pre(pairs: Vec<(u32, u32)>, n_pre: usize, edges: &mut Edges) {
    let mut start = vec![0usize; n_pre + 1];
    for &(i, _) in &pairs {
        start[i as usize + 1] += 1;
    }
    for i in 0..n_pre {
        start[i + 1] += start[i];
    }
    edges.pre = vec![0; pairs.len()];
    edges.post = vec![0; pairs.len()];
    for (i, j) in pairs {
        let at = &mut start[i as usize];
        edges.pre[*at] = i;
        edges.post[*at] = j;
        *at += 1;
    }
}

fn from_list(list: &EdgeList, n_pre: usize, n_post: usize) -> Result<Edges, RangeError> {
    let m = list.pre.len();
    check(list.post.len() == m, "post", list.post.len(), &format!("{m} entries, as pre"))?;
    for (field, len) in [("weight", list.weight.len()), ("delay", list.delay.len())] {
        check(len == 0 || len == m, field, len, &format!("0 or {m} entries, as pre"))?;
    }
    if let Some(&i) = list.pre.iter().find(|&&i| i as usize >= n_pre) {
        check(false, "pre", i, &format!("indices below the presynaptic size {n_pre}"))?;
    }
    if let Some(&j) = list.post.iter().find(|&&j| j as usize >= n_post) {
        check(false, "post", j, &format!("indices below the postsynaptic size {n_post}"))?;
    }
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by_key(|&s| (list.pre[s], list.post[s]));
    let pick =
        |v: &[f64]| if v.is_empty() { Vec::new() } else { order.iter().map(|&s| v[s]).collect() };
    Ok(Edges {
        pre: order.iter().map(|&s| list.pre[s]).collect(),
        post: order.iter().map(|&s| list.post[s]).collect(),
        weight: pick(&list.weight),
        delay: pick(&list.delay),
    })
}
