/* The CPU backend's conv1 patch extraction (DrlOps.im2col, src/ops/ops.h). */
#ifndef DRL_CPU_CPU_IM2COL_H
#define DRL_CPU_CPU_IM2COL_H

void cpu_im2col(float *patches, const float *frames, int F, int P, int G);

#endif
