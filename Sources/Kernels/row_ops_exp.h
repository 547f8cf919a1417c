// The constants of the kernels' exponential (Cephes-style expf: x = n ln2 + r,
// |r| <= ln2/2, a degree-6 polynomial, scaled by 2^n). Every level performs the same
// operations with them, so every level's exp gives the same bits.
#ifndef ND_ROW_OPS_EXP_H
#define ND_ROW_OPS_EXP_H

#define ND_EXP_HI 88.3762626647949f
#define ND_EXP_LO -103.972084045410f
#define ND_LOG2E 1.44269504088896341f
#define ND_LN2_HI 0.693359375f
#define ND_LN2_LO -2.12194440e-4f
#define ND_EXP_P0 1.9875691500E-4f
#define ND_EXP_P1 1.3981999507E-3f
#define ND_EXP_P2 8.3334519073E-3f
#define ND_EXP_P3 4.1665795894E-2f
#define ND_EXP_P4 1.6666665459E-1f
#define ND_EXP_P5 5.0000001201E-1f

#endif
