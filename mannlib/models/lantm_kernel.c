/* The LANTM recurrence (Yang 2016 §3, translation group) as two plain C loops: the forward
 * pass and its hand-derived backward pass, for mannlib/models/lantm_fast.py, which documents
 * the equations and allocates every buffer named below (same layouts, row-major). This file
 * is the same computation as the torch-op loops there, written without per-operation dispatch:
 * one call runs all T steps. Compiled on first use by mannlib/models/lantm_native.py, once per
 * element type (-DSINGLE: float, functions *_f32; else double, *_f64).
 *
 * Matrix products are written as row updates (y += a * row) so that the inner loop runs over
 * contiguous memory and the compiler vectorises it without reassociating sums.
 */
#include <math.h>
#include <string.h>

#ifdef SINGLE
typedef float real;
#define SUFFIX f32
#define EXP expf
#define LOG1P log1pf
#define SQRT sqrtf
#define POW powf
#else
typedef double real;
#define SUFFIX f64
#define EXP exp
#define LOG1P log1p
#define SQRT sqrt
#define POW pow
#endif
#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(name, SUFFIX)

/* glibc's libmvec has vector versions of exp: declaring them lets the compiler vectorise the
 * sigmoid loops, which otherwise dominate the forward pass (-DNO_MVEC where it is missing). */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(NO_MVEC)
__attribute__((simd("notinbranch"))) float expf(float);
__attribute__((simd("notinbranch"))) double exp(double);
#endif

/* Must match lantm_native.Args field for field. */
typedef struct {
    long T, B, H, R, NI, softmax, hist;   /* hist: keep every step for the backward pass */
    double alpha, eps, delta, t_min;
    /* inputs */
    const real *xg;      /* (T, B, 4H) x W_x + b, g-quarter doubled   */
    const real *w_rec;   /* (R + H, 4H), g-columns doubled            */
    const real *w_recT;  /* (4H, R + H)                               */
    const real *w_e;     /* (NI, H)                                    */
    const real *w_eT;    /* (H, NI)                                    */
    const real *b_e;     /* (NI)                                       */
    const real *d_out;   /* (T, B, R + H) gradient of [r_t; h_t]      */
    /* saved by the forward pass; without hist, one row (C, KV: two rows, alternating) */
    real *RH;            /* (T + 1, B, R + H) [r_t; h_t]              */
    real *SIG;           /* (T, B, 4H) sigmoid(pre): i, f, sigmoid(2g), o */
    real *GT;            /* (T, B, H) tanh(g)                         */
    real *C;             /* (T + 1, B, H) cell states                 */
    real *TC;            /* (T, B, H) tanh(c_t)                       */
    real *E;             /* (T, B, NI) instructions, steps normalised  */
    real *G;             /* (T, B, 5) gates and strength              */
    real *KV;            /* (T + 1, B, 2 kind, 2 head, 2 xy)          */
    real *NRM;           /* (T, B, 2) sqrt(|v~|^2 + delta)            */
    real *A;             /* (B, 2, T) write keys                      */
    real *MV1;           /* (B, T, R + 1) memory vectors (last column unused here) */
    real *U;             /* (T, B, T) read weights                    */
    real *D2;            /* (T, B, T) |k - a_i|^2 (+ eps for InvNorm) */
    real *TEMP;          /* (T, B) SoftMax temperatures               */
    real *S;             /* (B, T) strengths S_i                      */
    real *LOGS;          /* (B, T) log S_i (SoftMax)                  */
    real *MT;            /* (B, R, T) memory vectors, transposed      */
    /* backward outputs and scratch */
    real *DG;            /* (T + 1, B, 4H) d pre-activations          */
    real *DE;            /* (T, B, NI) d instruction logits            */
    real *dKV;           /* (B, 2, 2, 2) d initial [key, step]        */
    real *dMV;           /* (B, R, T) scratch                         */
    real *dA;            /* (B, 2, T) scratch                         */
    real *dSL;           /* (B, T) scratch                            */
    real *dC;            /* (B, H) scratch                            */
    real *work;          /* (B, 2 (R + H) + 2 T) scratch              */
} Args;

static inline real sigm(real x) { return (real)1 / ((real)1 + EXP(-x)); }
static inline real tanh_(real x) { return (real)2 * sigm((real)2 * x) - (real)1; }
static inline real softplus(real x) { return x > 20 ? x : LOG1P(EXP(x)); }
static inline real logsigm(real x) { return x >= 0 ? -LOG1P(EXP(-x)) : x - LOG1P(EXP(x)); }
static inline real lerp(real a, real b, real w) { return a + w * (b - a); }

/* Y[r][:N] += sum_k X[r][k] W[k][:N] for r < rows: four rows at a time, one vector of columns
 * at a time, accumulated in registers over k (W rows are read once per four rows of X). */
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
        for (long k = 0; k < K; k++) {
            const real a = X[r * ldx + k], *w = W + k * N;
            real *y = Y + r * ldy;
            for (long j = 0; j < N; j++) y[j] += a * w[j];
        }
}

#define KVX(t, b, kind, hd, xy) (((((t) * B + (b)) * 2 + (kind)) * 2 + (hd)) * 2 + (xy))

void FN(lantm_forward)(Args *p) {
    const long T = p->T, B = p->B, H = p->H, R = p->R, NI = p->NI, RH_ = R + H, H4 = 4 * H;
    const real eps = p->softmax ? 0 : (real)p->eps;
    for (long t = 0; t < T; t++) {
        /* rows of the per-step buffers: all kept for the backward pass (hist), else reused */
        const long n = t + 1, q = p->hist ? t : 0, c0 = p->hist ? t : t & 1, c1 = p->hist ? t + 1 : !(t & 1);
        /* controller (Yang §2): pre = xg + [r; h] W_rec, for the whole batch */
        memcpy(p->SIG + q * B * H4, p->xg + t * B * H4, B * H4 * sizeof(real));
        gemm_acc(p->RH + t * B * RH_, RH_, B, RH_, p->w_rec, H4, p->SIG + q * B * H4, H4);
        for (long b = 0; b < B; b++) {
            real *rh = p->RH + ((t + 1) * B + b) * RH_;
            real *sig = p->SIG + (q * B + b) * H4;
            for (long j = 0; j < H4; j++) sig[j] = sigm(sig[j]);
            const real *restrict c_prev = p->C + (c0 * B + b) * H;
            real *restrict c = p->C + (c1 * B + b) * H, *restrict gt = p->GT + (q * B + b) * H;
            real *restrict tc = p->TC + (q * B + b) * H, *restrict h = rh + R;
            for (long j = 0; j < H; j++) gt[j] = 2 * sig[2 * H + j] - 1;
            for (long j = 0; j < H; j++) c[j] = sig[H + j] * c_prev[j] + sig[j] * gt[j];
            for (long j = 0; j < H; j++) tc[j] = tanh_(c[j]);
            for (long j = 0; j < H; j++) h[j] = sig[3 * H + j] * tc[j];
            /* instructions e = W_e h + b_e */
            real *e = p->E + (q * B + b) * NI;
            memcpy(e, p->b_e, NI * sizeof(real));
            for (long k = 0; k < H; k++) {
                const real a = h[k];
                const real *w = p->w_eT + k * NI;
                for (long j = 0; j < NI; j++) e[j] += a * w[j];
            }
            /* heads (§3.3-3.4): gates, normalised steps, [k_bar, v] = lerp, k = k_bar + v */
            real *g = p->G + (q * B + b) * 5;
            for (long j = 0; j < 5; j++) g[j] = sigm(e[8 + j]);
            for (long hd = 0; hd < 2; hd++) {
                real *v = e + 4 + 2 * hd;
                const real nrm = SQRT(v[0] * v[0] + v[1] * v[1] + (real)p->delta);
                p->NRM[(q * B + b) * 2 + hd] = nrm;
                v[0] /= nrm;
                v[1] /= nrm;
                for (long xy = 0; xy < 2; xy++) {
                    const real vv = lerp(p->KV[KVX(c0, b, 1, hd, xy)], v[xy], g[2 + hd]);
                    const real kb = lerp(p->KV[KVX(c0, b, 0, hd, xy)], e[2 * hd + xy], g[hd]);
                    p->KV[KVX(c1, b, 1, hd, xy)] = vv;
                    p->KV[KVX(c1, b, 0, hd, xy)] = kb + vv;
                }
            }
            /* write (§3.2) */
            real *m = p->MV1 + (b * T + t) * (R + 1), *mt = p->MT + b * R * T;
            for (long j = 0; j < R; j++) m[j] = tanh_(e[13 + j]);
            for (long j = 0; j < R; j++) mt[j * T + t] = m[j];
            real *S = p->S + b * T, *logs = p->LOGS + b * T;
            S[t] = g[4];
            logs[t] = logsigm(e[12]);
            real *ax = p->A + b * 2 * T, *ay = ax + T;
            ax[t] = p->KV[KVX(c1, b, 0, 1, 0)];
            ay[t] = p->KV[KVX(c1, b, 0, 1, 1)];
            /* read (§3.1) over the n slots written so far */
            const real kx = p->KV[KVX(c1, b, 0, 0, 0)], ky = p->KV[KVX(c1, b, 0, 0, 1)];
            real *u = p->U + (q * B + b) * T, *d2 = p->D2 + (q * B + b) * T;
            real total = 0;
            if (p->softmax) {
                const real temp = softplus(e[13 + R]) + (real)p->t_min;
                p->TEMP[q * B + b] = temp;
                real zmax = -INFINITY;
                for (long i = 0; i < n; i++) {
                    const real dx = ax[i] - kx, dy = ay[i] - ky;
                    d2[i] = dx * dx + dy * dy;
                    u[i] = logs[i] - d2[i] / temp;
                }
                #pragma omp simd reduction(max:zmax)
                for (long i = 0; i < n; i++) zmax = u[i] > zmax ? u[i] : zmax;
                for (long i = 0; i < n; i++) u[i] = EXP(u[i] - zmax);
            } else {
                const real half = (real)(-p->alpha / 2);
                for (long i = 0; i < n; i++) {
                    const real dx = ax[i] - kx, dy = ay[i] - ky;
                    d2[i] = dx * dx + dy * dy + eps;
                    u[i] = p->alpha == 2 ? S[i] / d2[i] : S[i] * POW(d2[i], half);
                }
            }
            #pragma omp simd reduction(+:total)
            for (long i = 0; i < n; i++) total += u[i];
            for (long i = 0; i < n; i++) u[i] /= total;
            real *r = rh;
            for (long j = 0; j < R; j++) {
                const real *mj = mt + j * T;
                real acc = 0;
                #pragma omp simd reduction(+:acc)
                for (long i = 0; i < n; i++) acc += u[i] * mj[i];
                r[j] = acc;
            }
        }
    }
}

void FN(lantm_backward)(Args *p) {
    const long T = p->T, B = p->B, H = p->H, R = p->R, NI = p->NI, RH_ = R + H, H4 = 4 * H;
    const real scale = p->softmax ? -2 : (real)(-p->alpha);   /* see lantm_fast.backward */
    for (long t = T - 1; t >= 0; t--) {
        const long n = t + 1;
        /* d[r_t; h_t] = d_out + DG_{t+1} W_rec^T, for the whole batch (rows of work) */
        const long ldw = 2 * RH_ + 2 * T;
        for (long b = 0; b < B; b++) memcpy(p->work + b * ldw, p->d_out + (t * B + b) * RH_, RH_ * sizeof(real));
        gemm_acc(p->DG + (t + 1) * B * H4, H4, B, H4, p->w_recT, RH_, p->work, ldw);
        for (long b = 0; b < B; b++) {
            real *drh = p->work + b * ldw;
            real *dr = drh, *dh = drh + R, *gz = drh + 2 * RH_, *dw = gz + T;
            /* read (§3.1) */
            const real *w = p->U + (t * B + b) * T, *d2 = p->D2 + (t * B + b) * T;
            const real *r = p->RH + ((t + 1) * B + b) * RH_;
            real dot = 0;
            for (long j = 0; j < R; j++) dot += r[j] * dr[j];
            real *dmv = p->dMV + b * R * T, *dsl = p->dSL + b * T;
            const real *mt = p->MT + b * R * T, *S = p->S + b * T;
            memset(dw, 0, n * sizeof(real));
            for (long j = 0; j < R; j++) {      /* dw_i = <M_i, dr>, dM_i += w_i dr */
                const real a = dr[j], *mj = mt + j * T;
                real *dmj = dmv + j * T;
                for (long i = 0; i < n; i++) {
                    dw[i] += mj[i] * a;
                    dmj[i] += w[i] * a;
                }
            }
            for (long i = 0; i < n; i++) {
                gz[i] = w[i] * (dw[i] - dot);
                dsl[i] += gz[i] * (1 - S[i]);
            }
            const real *ax = p->A + b * 2 * T, *ay = ax + T;
            real *dax = p->dA + b * 2 * T, *day = dax + T;
            real *dkv = p->dKV + b * 8;          /* [kind][head][xy] */
            const real kx = p->KV[KVX(t + 1, b, 0, 0, 0)], ky = p->KV[KVX(t + 1, b, 0, 0, 1)];
            const real temp = p->softmax ? p->TEMP[t * B + b] : 0;
            real skx = 0, sky = 0, dtemp = 0;
            #pragma omp simd reduction(+:skx, sky, dtemp)
            for (long i = 0; i < n; i++) {
                const real sc = gz[i] / (p->softmax ? temp : d2[i]);
                const real dx = ax[i] - kx, dy = ay[i] - ky;
                dax[i] += scale * sc * dx;
                day[i] += scale * sc * dy;
                skx += sc * dx;
                sky += sc * dy;
                if (p->softmax) dtemp += gz[i] * d2[i];
            }
            dkv[0] -= scale * skx;               /* read key */
            dkv[1] -= scale * sky;
            real *de = p->DE + (t * B + b) * NI;
            const real *e = p->E + (t * B + b) * NI;
            if (p->softmax) {
                de[13 + R] = dtemp * sigm(e[13 + R]) / (temp * temp);
            }
            /* write (§3.2): every read of slot t has been visited */
            dkv[2] += dax[t];                    /* write key */
            dkv[3] += day[t];
            const real *m = p->MV1 + (b * T + t) * (R + 1);
            for (long j = 0; j < R; j++) de[13 + j] = dmv[j * T + t] * (1 - m[j] * m[j]);
            de[12] = dsl[t];
            /* heads (§3.3-3.4) */
            const real *g = p->G + (t * B + b) * 5, *nrm = p->NRM + (t * B + b) * 2;
            for (long hd = 0; hd < 2; hd++) {
                real *dk = dkv + hd * 2, *dv = dkv + 4 + hd * 2;
                const real *vn = e + 4 + 2 * hd;
                real dgk = 0, dgs = 0, q[2];
                for (long xy = 0; xy < 2; xy++) {
                    dv[xy] += dk[xy];
                    de[2 * hd + xy] = g[hd] * dk[xy];
                    q[xy] = g[2 + hd] / nrm[hd] * dv[xy];
                    dgk += (e[2 * hd + xy] - p->KV[KVX(t, b, 0, hd, xy)]) * dk[xy];
                    dgs += (vn[xy] - p->KV[KVX(t, b, 1, hd, xy)]) * dv[xy];
                    dk[xy] *= 1 - g[hd];
                    dv[xy] *= 1 - g[2 + hd];
                }
                const real vq = vn[0] * q[0] + vn[1] * q[1];
                de[4 + 2 * hd] = q[0] - vn[0] * vq;
                de[5 + 2 * hd] = q[1] - vn[1] * vq;
                de[8 + hd] = dgk * g[hd] * (1 - g[hd]);
                de[10 + hd] = dgs * g[2 + hd] * (1 - g[2 + hd]);
            }
            /* dh += DE W_e */
            for (long j = 0; j < NI; j++) {
                const real a = de[j];
                const real *we = p->w_e + j * H;
                for (long k = 0; k < H; k++) dh[k] += a * we[k];
            }
            /* LSTM (Yang §2) */
            const real *restrict sig = p->SIG + (t * B + b) * H4, *restrict gt = p->GT + (t * B + b) * H;
            const real *restrict tc = p->TC + (t * B + b) * H, *restrict c_prev = p->C + (t * B + b) * H;
            real *restrict dg = p->DG + (t * B + b) * H4, *restrict dc = p->dC + b * H;
            /* simple loops, each vectorised: dc becomes d c_t, then d c_{t-1} */
            for (long j = 0; j < H; j++) dc[j] += dh[j] * sig[3 * H + j] * (1 - tc[j] * tc[j]);
            for (long j = 0; j < H; j++) dg[j] = dc[j] * gt[j] * sig[j] * (1 - sig[j]);
            for (long j = 0; j < H; j++) dg[H + j] = dc[j] * c_prev[j] * sig[H + j] * (1 - sig[H + j]);
            for (long j = 0; j < H; j++) dg[2 * H + j] = dc[j] * sig[j] * 2 * sig[2 * H + j] * (1 - sig[2 * H + j]);
            for (long j = 0; j < H; j++) dg[3 * H + j] = dh[j] * tc[j] * sig[3 * H + j] * (1 - sig[3 * H + j]);
            for (long j = 0; j < H; j++) dc[j] *= sig[H + j];
        }
    }
}
