//! The learned-delay read-out: its gradient against central differences, and what delays buy.

use neurodyn_models::delays::DelayReadout;

fn events() -> Vec<(Vec<Vec<f64>>, usize)> {
    vec![
        (vec![vec![10.0], vec![14.0, 40.0], vec![18.0]], 0),
        (vec![vec![30.0], vec![26.0], vec![22.0, 5.0]], 1),
        (vec![vec![50.0], vec![53.5], vec![57.0]], 0),
    ]
}

#[test]
fn the_gradient_matches_central_differences() {
    let layer = DelayReadout::new(3, 2, 2, 2.0, 20.0, 0.25, 80.0, 1.0, 4).unwrap();
    let data = events();
    let batch: Vec<(&[Vec<f64>], usize)> = data.iter().map(|(e, l)| (e.as_slice(), *l)).collect();
    let (_, grad) = layer.loss_and_gradient(&batch);
    let h = 1e-6;
    for p in 0..layer.params.len() {
        let (mut up, mut down) = (layer.clone(), layer.clone());
        up.params[p] += h;
        down.params[p] -= h;
        let fd = (up.loss_and_gradient(&batch).0 - down.loss_and_gradient(&batch).0) / (2.0 * h);
        // The maximum over the grid is held at its argmax (a kink where the argmax moves);
        // away from kinks the derivative is exact up to the difference's own error.
        assert!((grad[p] - fd).abs() < 1e-6 * (1.0 + fd.abs()), "param {p}: {} vs {fd}", grad[p]);
    }
}

#[test]
fn pruning_zeroes_the_smallest_weights() {
    let mut layer = DelayReadout::new(5, 2, 1, 2.0, 20.0, 0.5, 50.0, 1.0, 1).unwrap();
    let before: Vec<f64> = layer.params[..10].to_vec();
    assert_eq!(layer.prune(0.8), 8);
    let kept: Vec<f64> = layer.params[..10].iter().copied().filter(|w| *w != 0.0).collect();
    let mut mags: Vec<f64> = before.iter().map(|w| w.abs()).collect();
    mags.sort_by(f64::total_cmp);
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|w| w.abs() >= mags[8]), "{kept:?} vs {mags:?}");
}
