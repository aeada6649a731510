//! Binary L2-regularised logistic regression with the optimum scikit-learn's
//! `LogisticRegression(C)` (lbfgs, L2, intercept not penalised) converges to:
//! minimise `C·Σ log(1 + exp(f_i)) − y_i f_i + ½‖w‖²`, `f = X w + b`.
//!
//! Solved by Newton's method with backtracking to a tight tolerance (scikit-learn stops at
//! `tol=1e-4`, so its coefficients differ from the exact optimum by about that much; the exact
//! optimum is what the golden test checks, with a tight-tolerance scikit-learn fit). When there
//! are more features than samples (tangent vectors), the Newton steps are taken in the span of
//! the samples (`w = Xᵀa`), where every iterate of the optimum lies.

use nalgebra::{DMatrix, DVector};
use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::covariance::check_features;
use crate::error::{DecodeError, Result};
use crate::labels::check_labels;
use crate::linalg::to_na;

/// A fitted binary logistic regression.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogisticRegression {
    pub c: f64,
    pub coef: Array1<f64>,
    pub intercept: f64,
}

fn softplus(f: f64) -> f64 {
    if f > 0.0 {
        f + (-f).exp().ln_1p()
    } else {
        f.exp().ln_1p()
    }
}

fn sigmoid(f: f64) -> f64 {
    if f >= 0.0 {
        1.0 / (1.0 + (-f).exp())
    } else {
        let e = f.exp();
        e / (1.0 + e)
    }
}

const MAX_NEWTON: usize = 200;

impl LogisticRegression {
    /// Fits on features (n × p) and labels in {0, 1} with inverse regularisation `c`.
    pub fn fit(x: ArrayView2<f64>, y: &[usize], c: f64) -> Result<Self> {
        let (n, p) = x.dim();
        let k = check_labels(y, n)?;
        if k != 2 {
            return Err(DecodeError::invalid(
                "number of classes",
                k,
                "logistic regression here is binary; use MDM or LDA for more classes",
            ));
        }
        if !(c > 0.0 && c.is_finite()) {
            return Err(DecodeError::invalid("C", c, "must be positive and finite"));
        }
        check_features(x)?;
        let xm = to_na(x);
        let yv = DVector::from_iterator(n, y.iter().map(|&v| v as f64));
        let (w, b) = if p < n {
            newton_primal(&xm, &yv, c)?
        } else {
            newton_span(&xm, &yv, c)?
        };
        Ok(LogisticRegression {
            c,
            coef: Array1::from_iter(w.iter().copied()),
            intercept: b,
        })
    }

    /// `X w + b` (positive means class 1).
    pub fn decision_function(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        if x.ncols() != self.coef.len() {
            return Err(DecodeError::Shape(format!(
                "logistic regression fitted on {} features, got {}",
                self.coef.len(),
                x.ncols()
            )));
        }
        Ok(x.dot(&self.coef) + self.intercept)
    }

    /// Probability of class 1.
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        Ok(self.decision_function(x)?.mapv(sigmoid))
    }
}

fn objective(f: &DVector<f64>, y: &DVector<f64>, c: f64, reg: f64) -> f64 {
    c * f
        .iter()
        .zip(y.iter())
        .map(|(&fi, &yi)| softplus(fi) - yi * fi)
        .sum::<f64>()
        + 0.5 * reg
}

fn not_converged(detail: String) -> DecodeError {
    DecodeError::NoConvergence {
        what: "logistic regression (Newton)".into(),
        detail,
    }
}

/// Newton in (w, b) with a (p+1)² Hessian.
fn newton_primal(x: &DMatrix<f64>, y: &DVector<f64>, c: f64) -> Result<(DVector<f64>, f64)> {
    let (n, p) = (x.nrows(), x.ncols());
    let mut w = DVector::zeros(p);
    let mut b = 0.0;
    for _ in 0..MAX_NEWTON {
        let f = x * &w + DVector::from_element(n, b);
        let pr = f.map(sigmoid);
        let r = &pr - y;
        let d = pr.map(|v| v * (1.0 - v));
        let mut g = DVector::zeros(p + 1);
        g.rows_mut(0, p).copy_from(&(x.transpose() * &r * c + &w));
        g[p] = c * r.sum();
        if g.amax() < 1e-10 {
            return Ok((w, b));
        }
        let mut xa = DMatrix::zeros(n, p + 1);
        xa.columns_mut(0, p).copy_from(x);
        xa.column_mut(p).fill(1.0);
        let mut xd = xa.clone();
        for i in 0..n {
            xd.row_mut(i).scale_mut(d[i] * c);
        }
        let mut h = xa.transpose() * xd;
        for j in 0..p {
            h[(j, j)] += 1.0;
        }
        let step = h
            .lu()
            .solve(&(-&g))
            .ok_or_else(|| not_converged("singular Hessian".into()))?;
        let obj0 = objective(&f, y, c, w.norm_squared());
        let slope = g.dot(&step);
        // Near the optimum the decrease is below the objective's rounding: take the full
        // (quadratically convergent) Newton step without a line search.
        let mut t = if -slope < 1e-9 * obj0.abs().max(1.0) {
            0.0
        } else {
            1.0
        };
        if t == 0.0 {
            w += step.rows(0, p);
            b += step[p];
        }
        while t > 0.0 {
            let w1 = &w + step.rows(0, p) * t;
            let b1 = b + step[p] * t;
            let f1 = x * &w1 + DVector::from_element(n, b1);
            if objective(&f1, y, c, w1.norm_squared()) <= obj0 + 1e-4 * t * slope || t < 1e-12 {
                w = w1;
                b = b1;
                break;
            }
            t *= 0.5;
        }
    }
    Err(not_converged(format!("{MAX_NEWTON} iterations")))
}

/// Newton in the span of the samples: `w = Xᵀa`, unknowns (a, b), an (n+1)² system.
fn newton_span(x: &DMatrix<f64>, y: &DVector<f64>, c: f64) -> Result<(DVector<f64>, f64)> {
    let n = x.nrows();
    let k = x * x.transpose();
    let mut a = DVector::zeros(n);
    let mut b = 0.0;
    for _ in 0..MAX_NEWTON {
        let ka = &k * &a;
        let f = &ka + DVector::from_element(n, b);
        let pr = f.map(sigmoid);
        let r = &pr - y;
        let d = pr.map(|v| v * (1.0 - v));
        // Gradient in w is Xᵀ(C r + a); in b, C Σ r. Converged when both vanish.
        let e = &r * c + &a;
        let gw = x.transpose() * &e;
        let gb = c * r.sum();
        if gw.amax().max(gb.abs()) < 1e-10 {
            return Ok((x.transpose() * a, b));
        }
        let mut jm = DMatrix::zeros(n + 1, n + 1);
        for i in 0..n {
            for j in 0..n {
                jm[(i, j)] = c * d[i] * k[(i, j)];
            }
            jm[(i, i)] += 1.0;
            jm[(i, n)] = c * d[i];
        }
        for j in 0..n {
            jm[(n, j)] = (0..n).map(|i| d[i] * k[(i, j)]).sum::<f64>();
        }
        jm[(n, n)] = d.sum();
        let mut rhs = DVector::zeros(n + 1);
        rhs.rows_mut(0, n).copy_from(&(-&e));
        rhs[n] = -r.sum();
        let step = jm
            .lu()
            .solve(&rhs)
            .ok_or_else(|| not_converged("singular Newton system".into()))?;
        let obj0 = objective(&f, y, c, a.dot(&ka));
        let da = step.rows(0, n).into_owned();
        // Directional derivative of the objective along (Xᵀda, db).
        let slope = e.dot(&(&k * &da)) + gb * step[n];
        // Near the optimum the decrease is below the objective's rounding: take the full
        // (quadratically convergent) Newton step without a line search.
        let mut t = if -slope < 1e-9 * obj0.abs().max(1.0) {
            0.0
        } else {
            1.0
        };
        if t == 0.0 {
            a += &da;
            b += step[n];
        }
        while t > 0.0 {
            let a1 = &a + &da * t;
            let b1 = b + step[n] * t;
            let ka1 = &k * &a1;
            let f1 = &ka1 + DVector::from_element(n, b1);
            if objective(&f1, y, c, a1.dot(&ka1)) <= obj0 + 1e-4 * t * slope || t < 1e-12 {
                a = a1;
                b = b1;
                break;
            }
            t *= 0.5;
        }
    }
    Err(not_converged(format!("{MAX_NEWTON} iterations")))
}
