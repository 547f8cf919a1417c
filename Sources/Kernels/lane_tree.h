// The last step of every fixed-order reduction in the kernels: 16 lane sums
// added in one pairwise tree (l + l+8, l + l+4, l + l+2, lane 0 + lane 1), so a
// scalar reference and a SIMD kernel that pair lanes the same way agree to the bit.
#ifndef ND_LANE_TREE_H
#define ND_LANE_TREE_H

static inline float nd_lane_tree(const float *s) {
  float h8[8], h4[4], h2[2];
  for (int l = 0; l < 8; l++) h8[l] = s[l] + s[l + 8];
  for (int l = 0; l < 4; l++) h4[l] = h8[l] + h8[l + 4];
  for (int l = 0; l < 2; l++) h2[l] = h4[l] + h4[l + 2];
  return h2[0] + h2[1];
}

#endif
