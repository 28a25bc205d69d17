/* The SANN and TANN recurrences (Wang et al. 2019 §2.1-2.2) as plain C loops: the whole
 * forward pass and its hand-derived backward pass in one call each, for
 * mannlib/models/stack_tape_fast.py, which documents the equations and allocates every buffer
 * named below (same layouts, row-major). The reference is the step-by-step autograd loop of
 * mannlib/models/controller.py with sann.py / tann.py. Compiled on first use by
 * mannlib/models/native.py, once per element type (-DSINGLE: float, functions *_f32; else
 * double, *_f64).
 *
 * The matrix products of a step (the LSTM's recurrent product, the memory's linear map from
 * h_t) go to the BLAS ?gemm_ that torch itself links when stack_tape_fast finds it, else to
 * gemm_acc below. Everything else runs per example: a few hundred numbers at a time.
 */
#include <math.h>
#include <string.h>

#ifdef SINGLE
typedef float real;
#define SUFFIX f32
#define EXP expf
#define LOG logf
#define LOG1P log1pf
#define SQRT sqrtf
#else
typedef double real;
#define SUFFIX f64
#define EXP exp
#define LOG log
#define LOG1P log1p
#define SQRT sqrt
#endif
#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(name, SUFFIX)

/* glibc's libmvec has vector versions of exp: declaring them lets the compiler vectorise the
 * sigmoid loops (-DNO_MVEC where it is missing). */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(NO_MVEC)
__attribute__((simd("notinbranch"))) float expf(float);
__attribute__((simd("notinbranch"))) double exp(double);
#endif

#define EPS2 ((real)1e-16)  /* tann.EPS squared: cosine denominator */
#define TINY ((real)1e-30)  /* tann.TINY: floor under a weighting before its log */

/* Fortran BLAS ?gemm_ (column-major, 32-bit integers), as MKL and OpenBLAS export it. */
typedef void (*gemm_fn)(const char *, const char *, const int *, const int *, const int *, const real *,
                        const real *, const int *, const real *, const int *, const real *, real *, const int *);

/* Must match stack_tape_fast.Args field for field. */
typedef struct {
    long T, B, H, R, N, NA, K, NM, tape, hist;  /* R = W = cell width; NA = 2K + 2 actions; NM = width of mo */
    void *gemm;          /* ?gemm_ or NULL (then gemm_acc)                               */
    /* inputs */
    const real *xg;      /* (T, B, 4H) x W_x^T + b_ih + b_hh                              */
    const real *xa;      /* (T, B, NA) stack: x W_ax^T + b_a; tape: x W_mx^T (T, B, NM), or NULL */
    const real *w_rec;   /* (R + H, 4H) acting on [r_{t-1}; h_{t-1}]                      */
    const real *w_recT;  /* (4H, R + H)                                                   */
    const real *w_m;     /* (NM, H) stack: f_s (push value); tape: the head layer          */
    const real *w_mT;    /* (H, NM)                                                        */
    const real *b_m;     /* (NM)                                                           */
    const real *w_am;    /* (NA, 2(N-1)) stack: W_aM                                      */
    const real *wq;      /* (4, R) stack: conv taps [ch0 tap0, ch1 tap0, ch0 tap1, ch1 tap1] */
    const real *d_out;   /* (T, B, R + H) gradient of [r_t; h_t]                          */
    /* saved by the forward pass; without hist, one row (two for the (T + 1)-row ones) */
    real *RH;            /* (T + 1, B, R + H) [r_t; h_t], always every row (the output)   */
    real *ACT;           /* (T, B, 4H) sigmoid i, sigmoid f, tanh g, sigmoid o            */
    real *C;             /* (T + 1, B, H) cell states                                     */
    real *TC;            /* (T, B, H) tanh(c_t)                                           */
    real *MEM;           /* (T + 1, B, N, R) stack or tape M_t; row 0 is M_0              */
    real *MO;            /* (T, B, NM) h_t W_m^T + b_m: push value / raw head outputs     */
    real *P;             /* (T, B, NA) stack: action probabilities                        */
    real *FEAT;          /* (T, B, 2(N-1)) stack: flattened Conv1d(M_{t-1})               */
    real *WH;            /* (T + 1, B, 2, N) tape: weightings, head 0 write, 1 read        */
    real *PAR;           /* (T, B, 2, 6) tape: beta, g, gamma, s(-1), s(0), s(+1) per head */
    real *EA;            /* (T, B, 2R) tape: erase e, add a                               */
    real *ADR;           /* (T, B, 2, 5, N) tape: cos, rsqrt(norms), w_c, w_g, w~ per head */
    /* backward outputs, carries and scratch */
    real *DG;            /* (T + 1, B, 4H) d pre-activations; DG[T] = 0                   */
    real *DM;            /* (T, B, NM) d mo                                                */
    real *DL;            /* (T, B, NA) stack: d action logits                             */
    real *DY;            /* (T, B, N, 4) stack: d conv taps per cell                       */
    real *dMEM;          /* (B, N, R) d M_t, finally d M_0                                 */
    real *dWH;           /* (B, 2, N) tape: d weightings, finally d of the initial ones    */
    real *dC;            /* (B, H) d c_t                                                   */
    real *DRH;           /* (B, R + H) d [r_t; h_t] of the step being visited              */
    real *work;          /* (B N R + 16 (N + R + NA + 8)) scratch                          */
} Args;

static inline real sigm(real x) { return (real)1 / ((real)1 + EXP(-x)); }
static inline real tanh_(real x) { return (real)1 - (real)2 / (EXP((real)2 * x) + (real)1); }
/* torch.nn.functional.softplus (beta 1, threshold 20) and its derivative, as torch computes them */
static inline real softplus(real x) { return x > 20 ? x : LOG1P(EXP(x)); }
static inline real softplus_d(real x) { if (x > 20) return 1; const real z = EXP(x); return z / (z + 1); }

static inline __attribute__((always_inline)) real dot(const real *a, const real *b, long n) {
    real s = 0;
    #pragma omp simd reduction(+:s)
    for (long i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static inline void axpy(real a, const real *restrict x, real *restrict y, long n) {
    #pragma omp simd
    for (long i = 0; i < n; i++) y[i] += a * x[i];
}

static void softmax(real *z, long n) {
    real m = z[0], s = 0;
    for (long i = 1; i < n; i++) m = z[i] > m ? z[i] : m;
    for (long i = 0; i < n; i++) { z[i] = EXP(z[i] - m); s += z[i]; }
    for (long i = 0; i < n; i++) z[i] /= s;
}

/* dz = y (dy - <dy, y>) for y = softmax(z), in place of dy */
static void softmax_back(const real *y, real *dy, long n) {
    const real s = dot(dy, y, n);
    for (long i = 0; i < n; i++) dy[i] = y[i] * (dy[i] - s);
}

/* Y[r][:N] += sum_k X[r][k] W[k][:N] for r < rows: four rows at a time, one vector of columns
 * at a time, accumulated in registers over k (the loop of lantm_kernel.c). */
typedef real vec __attribute__((vector_size(64), aligned(sizeof(real))));
#define VL ((long)(sizeof(vec) / sizeof(real)))
static void gemm_acc(const real *X, long ldx, long rows, long K, const real *W, long N, real *Y, long ldy) {
    long r = 0;
    for (; r + 4 <= rows; r += 4) {
        const real *x0 = X + r * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx;
        real *y0 = Y + r * ldy, *y1 = y0 + ldy, *y2 = y1 + ldy, *y3 = y2 + ldy;
        long j = 0;
        for (; j + VL <= N; j += VL) {
            vec a0, a1, a2, a3;
            memcpy(&a0, y0 + j, sizeof(vec)); memcpy(&a1, y1 + j, sizeof(vec));
            memcpy(&a2, y2 + j, sizeof(vec)); memcpy(&a3, y3 + j, sizeof(vec));
            for (long k = 0; k < K; k++) {
                vec w;
                memcpy(&w, W + k * N + j, sizeof(vec));
                a0 += x0[k] * w; a1 += x1[k] * w; a2 += x2[k] * w; a3 += x3[k] * w;
            }
            memcpy(y0 + j, &a0, sizeof(vec)); memcpy(y1 + j, &a1, sizeof(vec));
            memcpy(y2 + j, &a2, sizeof(vec)); memcpy(y3 + j, &a3, sizeof(vec));
        }
        for (; j < N; j++)
            for (long k = 0; k < K; k++) {
                const real w = W[k * N + j];
                y0[j] += x0[k] * w; y1[j] += x1[k] * w; y2[j] += x2[k] * w; y3[j] += x3[k] * w;
            }
    }
    for (; r < rows; r++)
        for (long k = 0; k < K; k++) axpy(X[r * ldx + k], W + k * N, Y + r * ldy, N);
}

/* Y (rows x N, leading dimension ldy) += X (rows x K, ldx) W (K x N, contiguous) */
static void gemm(const Args *p, const real *X, long ldx, long rows, long K, const real *W, long N, real *Y, long ldy) {
    if (!p->gemm) { gemm_acc(X, ldx, rows, K, W, N, Y, ldy); return; }
    /* row-major Y = X W is column-major Y^T = W^T X^T */
    const int m = (int)N, n = (int)rows, k = (int)K, lw = (int)N, lx = (int)ldx, ly = (int)ldy;
    const real one = 1;
    ((gemm_fn)p->gemm)("N", "N", &m, &n, &k, &one, W, &lw, X, &lx, &one, Y, &ly);
}

/* ---- the controller (Wang eqs. 1-2) -------------------------------------------------------- */

/* pre = xg_t + [r_{t-1}; h_{t-1}] W_rec; LSTM step; h_t into RH[t + 1]; mo = h_t W_m^T + b_m
   (+ x_t W_mx^T for a tape whose heads read x_t) */
static void controller_forward(const Args *p, long t) {
    const long B = p->B, H = p->H, R = p->R, G = 4 * H, RW = R + H, NM = p->NM;
    const long q = p->hist ? t : 0, c0 = p->hist ? t : t & 1, c1 = p->hist ? t + 1 : !(t & 1);
    real *act = p->ACT + q * B * G;
    memcpy(act, p->xg + t * B * G, B * G * sizeof(real));
    gemm(p, p->RH + t * B * RW, RW, B, RW, p->w_rec, G, act, G);
    for (long b = 0; b < B; b++) {
        real *a = act + b * G;
        const real *restrict cp = p->C + (c0 * B + b) * H;
        real *restrict c = p->C + (c1 * B + b) * H, *restrict tc = p->TC + (q * B + b) * H;
        real *restrict h = p->RH + ((t + 1) * B + b) * RW + R;
        for (long j = 0; j < 2 * H; j++) a[j] = sigm(a[j]);
        for (long j = 2 * H; j < 3 * H; j++) a[j] = tanh_(a[j]);
        for (long j = 3 * H; j < G; j++) a[j] = sigm(a[j]);
        for (long j = 0; j < H; j++) c[j] = a[H + j] * cp[j] + a[j] * a[2 * H + j];
        for (long j = 0; j < H; j++) tc[j] = tanh_(c[j]);
        for (long j = 0; j < H; j++) h[j] = a[3 * H + j] * tc[j];
        real *restrict mo = p->MO + (q * B + b) * NM;
        memcpy(mo, p->b_m, NM * sizeof(real));
        if (p->tape && p->xa)                            /* heads that read x_t too (head_input) */
            for (long j = 0; j < NM; j++) mo[j] += p->xa[(t * B + b) * NM + j];
    }
    gemm(p, p->RH + (t + 1) * B * RW + R, RW, B, H, p->w_mT, NM, p->MO + q * B * NM, NM);
}

/* DRH = d_out_t + DG_{t+1} W_rec^T: the gradient of [r_t; h_t] (step t is 0-based: RH[t + 1]) */
static void controller_grad_in(const Args *p, long t) {
    const long B = p->B, G = 4 * p->H, RW = p->R + p->H;
    memcpy(p->DRH, p->d_out + t * B * RW, B * RW * sizeof(real));
    if (t + 1 < p->T) gemm(p, p->DG + (t + 1) * B * G, G, B, G, p->w_recT, RW, p->DRH, RW);
}

/* dh += DM_t W_m; LSTM backward into DG[t]; dC carried to c_{t-1} */
static void controller_backward(const Args *p, long t) {
    const long B = p->B, H = p->H, R = p->R, G = 4 * H, RW = R + H, NM = p->NM;
    gemm(p, p->DM + t * B * NM, NM, B, NM, p->w_m, H, p->DRH + R, RW);
    for (long b = 0; b < B; b++) {
        const real *a = p->ACT + (t * B + b) * G, *cp = p->C + (t * B + b) * H, *tc = p->TC + (t * B + b) * H;
        const real *dh = p->DRH + b * RW + R;
        real *restrict dg = p->DG + (t * B + b) * G, *restrict dc = p->dC + b * H;
        for (long j = 0; j < H; j++) {
            const real si = a[j], sf = a[H + j], gt = a[2 * H + j], so = a[3 * H + j];
            const real d = dc[j] + dh[j] * so * (1 - tc[j] * tc[j]);
            dg[j] = d * gt * si * (1 - si);
            dg[H + j] = d * cp[j] * sf * (1 - sf);
            dg[2 * H + j] = d * si * (1 - gt * gt);
            dg[3 * H + j] = dh[j] * tc[j] * so * (1 - so);
            dc[j] = d * sf;
        }
    }
}

/* ---- the stack (Wang eqs. 4-6; sann.py) ----------------------------------------------------- */

/* p(a | M_{t-1}, x_t), then M_t = sum_a p(a) a(M_{t-1}) with the push value v = mo, r_t = M_t[0] */
static void stack_forward(const Args *p, long t) {
    const long B = p->B, H = p->H, R = p->R, N = p->N, NA = p->NA, K = p->K, NF = 2 * (N - 1);
    const long q = p->hist ? t : 0, c0 = p->hist ? t : t & 1, c1 = p->hist ? t + 1 : !(t & 1);
    for (long b = 0; b < B; b++) {
        const real *S = p->MEM + (c0 * B + b) * N * R, *v = p->MO + (q * B + b) * R;
        real *restrict S1 = p->MEM + (c1 * B + b) * N * R;
        real *restrict pr = p->P + (q * B + b) * NA, *restrict feat = p->FEAT + (q * B + b) * NF;
        /* Conv1d(d -> 2, kernel 2) over the cells, flattened channel-major (eq. 6) */
        for (long j = 0; j + 1 < N; j++)
            for (long ch = 0; ch < 2; ch++)
                feat[ch * (N - 1) + j] = dot(S + j * R, p->wq + ch * R, R) + dot(S + (j + 1) * R, p->wq + (2 + ch) * R, R);
        for (long a = 0; a < NA; a++) pr[a] = p->xa[(t * B + b) * NA + a] + dot(p->w_am + a * NF, feat, NF);
        softmax(pr, NA);
        /* eq. 5: M'[0] = P(PUSH) v + sum_k p(STAY_k) M[k]; M'[i] = sum_k p(PUSH_k) M[i-1+k] + p(STAY_k) M[i+k] */
        real push = 0;
        for (long k = 0; k <= K; k++) push += pr[k];
        memset(S1, 0, N * R * sizeof(real));
        for (long f = 0; f < R; f++) S1[f] = push * v[f];
        for (long i = 0; i < N; i++)
            for (long k = 0; k <= K; k++) {
                if (i + k < N) axpy(pr[K + 1 + k], S + (i + k) * R, S1 + i * R, R);
                if (i >= 1 && i - 1 + k < N) axpy(pr[k], S + (i - 1 + k) * R, S1 + i * R, R);
            }
        memcpy(p->RH + ((t + 1) * B + b) * (R + H), S1, R * sizeof(real));  /* r_t = M_t[0] (eq. 4) */
    }
}

/* dMEM: d M_t in, d M_{t-1} out; fills DM[t] (d v), DL[t] (d action logits), DY[t] (d conv taps) */
static void stack_backward(const Args *p, long t) {
    const long B = p->B, H = p->H, R = p->R, N = p->N, NA = p->NA, K = p->K, NF = 2 * (N - 1);
    real *dp = p->work + B * N * R, *dfeat = dp + NA;
    for (long b = 0; b < B; b++) {
        const real *S = p->MEM + (t * B + b) * N * R, *v = p->MO + (t * B + b) * R, *pr = p->P + (t * B + b) * NA;
        real *restrict dS = p->dMEM + b * N * R, *restrict dSp = p->work + b * N * R;
        real *restrict dv = p->DM + (t * B + b) * R, *restrict dl = p->DL + (t * B + b) * NA;
        real *restrict dy = p->DY + (t * B + b) * N * 4;
        axpy(1, p->DRH + b * (R + H), dS, R);                            /* r_t = M_t[0] */
        real push = 0;
        for (long k = 0; k <= K; k++) push += pr[k];
        for (long f = 0; f < R; f++) dv[f] = push * dS[f];
        const real dpush = dot(dS, v, R);
        for (long a = 0; a < NA; a++) dp[a] = a <= K ? dpush : 0;
        memset(dSp, 0, N * R * sizeof(real));
        for (long i = 0; i < N; i++)
            for (long k = 0; k <= K; k++) {
                if (i + k < N) {
                    dp[K + 1 + k] += dot(dS + i * R, S + (i + k) * R, R);
                    axpy(pr[K + 1 + k], dS + i * R, dSp + (i + k) * R, R);
                }
                if (i >= 1 && i - 1 + k < N) {
                    dp[k] += dot(dS + i * R, S + (i - 1 + k) * R, R);
                    axpy(pr[k], dS + i * R, dSp + (i - 1 + k) * R, R);
                }
            }
        softmax_back(pr, dp, NA);
        memcpy(dl, dp, NA * sizeof(real));
        memset(dfeat, 0, NF * sizeof(real));
        for (long a = 0; a < NA; a++) axpy(dl[a], p->w_am + a * NF, dfeat, NF);
        memset(dy, 0, N * 4 * sizeof(real));
        for (long j = 0; j + 1 < N; j++)
            for (long ch = 0; ch < 2; ch++) {
                dy[j * 4 + ch] += dfeat[ch * (N - 1) + j];
                dy[(j + 1) * 4 + 2 + ch] += dfeat[ch * (N - 1) + j];
            }
        for (long j = 0; j < N; j++)
            for (long qq = 0; qq < 4; qq++) axpy(dy[j * 4 + qq], p->wq + qq * R, dSp + j * R, R);
        memcpy(dS, dSp, N * R * sizeof(real));
    }
}

/* ---- the tape (Wang eqs. 7-8, Graves §3.3; tann.py) ------------------------------------------ */

/* head outputs of one example, in the order of TapeMemory._split */
#define O_KEY(hd) ((hd) * R)
#define O_BETA(hd) (2 * R + (hd))
#define O_G(hd) (2 * R + 2 + (hd))
#define O_S(hd) (2 * R + 4 + 3 * (hd))
#define O_GAMMA(hd) (2 * R + 10 + (hd))
#define O_ERASE (2 * R + 12)
#define O_ADD (3 * R + 12)

/* one head's weighting w from memory M (N x R) and the previous weighting; saves cos,
 * rsqrt(norms), w_c, w_g, w~ in adr (5 x N) */
static void address_forward(long N, long R, const real *M, const real *prev, const real *key, const real *par,
                            real *adr, real *w) {
    real *cs = adr, *rs = adr + N, *wc = adr + 2 * N, *wg = adr + 3 * N, *ws = adr + 4 * N;
    const real beta = par[0], g = par[1], gamma = par[2], *s = par + 3, kk = dot(key, key, R);
    for (long i = 0; i < N; i++) {
        rs[i] = 1 / SQRT(dot(M + i * R, M + i * R, R) * kk + EPS2);
        cs[i] = dot(M + i * R, key, R) * rs[i];
        wc[i] = beta * cs[i];
    }
    softmax(wc, N);                                                    /* content */
    for (long i = 0; i < N; i++) wg[i] = g * wc[i] + (1 - g) * prev[i];  /* interpolation */
    for (long i = 0; i < N; i++)                                       /* circular shift */
        ws[i] = s[0] * wg[(i + 1) % N] + s[1] * wg[i] + s[2] * wg[(i + N - 1) % N];
    for (long i = 0; i < N; i++) w[i] = gamma * LOG(ws[i] > TINY ? ws[i] : TINY);
    softmax(w, N);                                                     /* sharpening */
}

/* backward of address_forward: dw (N, destroyed) in; dM += d M, dprev = d prev weighting,
 * dhd receives d of this head's raw outputs (key, beta, g, s, gamma); tmp: 2N scratch */
static void address_backward(long N, long R, const real *M, const real *prev, const real *key, const real *par,
                             const real *adr, const real *w, const real *hd, long head, real *dw, real *dM,
                             real *dprev, real *dhd, real *tmp) {
    const real *cs = adr, *rs = adr + N, *wc = adr + 2 * N, *wg = adr + 3 * N, *ws = adr + 4 * N;
    const real beta = par[0], g = par[1], gamma = par[2], *s = par + 3, kk = dot(key, key, R);
    real *dws = tmp, *dwg = tmp + N;
    softmax_back(w, dw, N);                                            /* dz, z = gamma log w~ */
    real dgamma = 0;
    for (long i = 0; i < N; i++) {
        const real lw = LOG(ws[i] > TINY ? ws[i] : TINY);
        dgamma += dw[i] * lw;
        dws[i] = ws[i] >= TINY ? dw[i] * gamma / ws[i] : 0;             /* clamp_min passes ws >= TINY */
    }
    real ds[3] = {0, 0, 0};
    for (long i = 0; i < N; i++) {
        ds[0] += dws[i] * wg[(i + 1) % N];
        ds[1] += dws[i] * wg[i];
        ds[2] += dws[i] * wg[(i + N - 1) % N];
    }
    for (long j = 0; j < N; j++)
        dwg[j] = s[0] * dws[(j + N - 1) % N] + s[1] * dws[j] + s[2] * dws[(j + 1) % N];
    real dg = 0;
    for (long i = 0; i < N; i++) dg += dwg[i] * (wc[i] - prev[i]);
    for (long i = 0; i < N; i++) { dprev[i] = (1 - g) * dwg[i]; dwg[i] *= g; }   /* dwg now d w_c */
    softmax_back(wc, dwg, N);                                          /* d(beta cos) */
    real dbeta = 0;
    real *dkey = dhd + O_KEY(head);
    memset(dkey, 0, R * sizeof(real));
    real dn_mm = 0;
    for (long i = 0; i < N; i++) {
        const real *m = M + i * R;
        dbeta += dwg[i] * cs[i];
        const real dcos = beta * dwg[i];
        const real ddot = dcos * rs[i], dn = (real)-0.5 * dcos * cs[i] * rs[i] * rs[i];  /* n = |M_i|^2 |k|^2 + eps^2 */
        axpy(ddot, m, dkey, R);
        dn_mm += dn * dot(m, m, R);
        axpy(ddot, key, dM + i * R, R);
        axpy(2 * dn * kk, m, dM + i * R, R);
    }
    axpy(2 * dn_mm, key, dkey, R);
    dhd[O_BETA(head)] = dbeta * softplus_d(hd[O_BETA(head)]);
    dhd[O_G(head)] = dg * g * (1 - g);
    dhd[O_GAMMA(head)] = dgamma * softplus_d(hd[O_GAMMA(head)]);
    const real sd = ds[0] * s[0] + ds[1] * s[1] + ds[2] * s[2];
    for (long j = 0; j < 3; j++) dhd[O_S(head) + j] = s[j] * (ds[j] - sd);
}

/* address and write with M_{t-1} (head 0), then address and read with M_t (head 1) */
static void tape_forward(const Args *p, long t) {
    const long B = p->B, H = p->H, R = p->R, N = p->N, NM = p->NM;
    const long q = p->hist ? t : 0, c0 = p->hist ? t : t & 1, c1 = p->hist ? t + 1 : !(t & 1);
    for (long b = 0; b < B; b++) {
        const real *M = p->MEM + (c0 * B + b) * N * R, *hd = p->MO + (q * B + b) * NM;
        const real *wp = p->WH + (c0 * B + b) * 2 * N;
        real *restrict M1 = p->MEM + (c1 * B + b) * N * R, *restrict w1 = p->WH + (c1 * B + b) * 2 * N;
        real *restrict par = p->PAR + (q * B + b) * 12, *restrict ea = p->EA + (q * B + b) * 2 * R;
        real *restrict adr = p->ADR + (q * B + b) * 10 * N;
        for (long h = 0; h < 2; h++) {
            real *ph = par + 6 * h;
            ph[0] = softplus(hd[O_BETA(h)]);
            ph[1] = sigm(hd[O_G(h)]);
            ph[2] = 1 + softplus(hd[O_GAMMA(h)]);
            memcpy(ph + 3, hd + O_S(h), 3 * sizeof(real));
            softmax(ph + 3, 3);
        }
        for (long f = 0; f < R; f++) ea[f] = sigm(hd[O_ERASE + f]);
        for (long f = 0; f < R; f++) ea[R + f] = tanh_(hd[O_ADD + f]);
        address_forward(N, R, M, wp, hd + O_KEY(0), par, adr, w1);
        for (long i = 0; i < N; i++)                                    /* erase, add (eq. 8) */
            for (long f = 0; f < R; f++)
                M1[i * R + f] = M[i * R + f] * (1 - w1[i] * ea[f]) + w1[i] * ea[R + f];
        address_forward(N, R, M1, wp + N, hd + O_KEY(1), par + 6, adr + 5 * N, w1 + N);
        real *r = p->RH + ((t + 1) * B + b) * (R + H);                 /* read (eq. 7) */
        memset(r, 0, R * sizeof(real));
        for (long i = 0; i < N; i++) axpy(w1[N + i], M1 + i * R, r, R);
    }
}

/* dMEM, dWH: d M_t and d (w_write, w_read)_t in, the same for t - 1 out; fills DM[t] */
static void tape_backward(const Args *p, long t) {
    const long B = p->B, H = p->H, R = p->R, N = p->N, NM = p->NM;
    real *dw = p->work, *tmp = dw + N, *de = tmp + 2 * N, *da = de + R;
    for (long b = 0; b < B; b++) {
        const real *M = p->MEM + (t * B + b) * N * R, *M1 = p->MEM + ((t + 1) * B + b) * N * R;
        const real *wp = p->WH + (t * B + b) * 2 * N, *w1 = p->WH + ((t + 1) * B + b) * 2 * N;
        const real *hd = p->MO + (t * B + b) * NM, *par = p->PAR + (t * B + b) * 12;
        const real *ea = p->EA + (t * B + b) * 2 * R, *adr = p->ADR + (t * B + b) * 10 * N;
        const real *dr = p->DRH + b * (R + H);
        real *restrict dM = p->dMEM + b * N * R, *restrict dW = p->dWH + b * 2 * N;
        real *restrict dhd = p->DM + (t * B + b) * NM;
        /* read: r = sum_i w_r[i] M_t[i] */
        for (long i = 0; i < N; i++) {
            dw[i] = dW[N + i] + dot(dr, M1 + i * R, R);
            axpy(w1[N + i], dr, dM + i * R, R);
        }
        address_backward(N, R, M1, wp + N, hd + O_KEY(1), par + 6, adr + 5 * N, w1 + N, hd, 1, dw, dM, dW + N, dhd, tmp);
        /* write: M_t = M_{t-1} (1 - w e^T) + w a^T */
        const real *e = ea, *a = ea + R, *ww = w1;
        memset(de, 0, 2 * R * sizeof(real));
        for (long i = 0; i < N; i++) {
            real *restrict dm = dM + i * R;
            const real *restrict m = M + i * R;
            real s = 0;
            #pragma omp simd reduction(+:s)
            for (long f = 0; f < R; f++) s += dm[f] * (a[f] - m[f] * e[f]);
            dw[i] = dW[i] + s;
            #pragma omp simd
            for (long f = 0; f < R; f++) {
                de[f] -= dm[f] * m[f] * ww[i];
                da[f] += dm[f] * ww[i];
                dm[f] *= 1 - ww[i] * e[f];
            }
        }
        for (long f = 0; f < R; f++) dhd[O_ERASE + f] = de[f] * e[f] * (1 - e[f]);
        for (long f = 0; f < R; f++) dhd[O_ADD + f] = da[f] * (1 - a[f] * a[f]);
        address_backward(N, R, M, wp, hd + O_KEY(0), par, adr, ww, hd, 0, dw, dM, dW, dhd, tmp);
    }
}

/* ---- whole sequences -------------------------------------------------------------------------- */

void FN(stack_tape_forward)(Args *p) {
    for (long t = 0; t < p->T; t++) {
        controller_forward(p, t);
        if (p->tape) tape_forward(p, t); else stack_forward(p, t);
    }
}

void FN(stack_tape_backward)(Args *p) {
    for (long t = p->T - 1; t >= 0; t--) {
        controller_grad_in(p, t);
        if (p->tape) tape_backward(p, t); else stack_backward(p, t);
        controller_backward(p, t);
    }
}
