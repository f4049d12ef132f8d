# As dsl-mocov2_deit-small-p16_4xb32-coslr-200e_cholec80.py, but the student's
# embedding is the mean of its patch tokens (out_type='avg_featmap', then a
# LayerNorm), a (B, 384) vector.
_base_ = './dsl-mocov2_deit-small-p16_4xb32-coslr-200e_cholec80.py'

model = dict(backbone=dict(out_type='avg_featmap'))
