from .baselines import ForeachEMABYOL, ForeachEMAMoCo
from .distilled_byol import DistilledBYOL
from .distilled_moco import DistilledMoCo
from .distilled_simclr import DistilledSimCLR
from .spt import SPT
from .teacher import FrozenTeacher, TeacherDistillMixin, teacher_state_dict

__all__ = [
    'DistilledBYOL', 'DistilledMoCo', 'DistilledSimCLR', 'ForeachEMABYOL',
    'ForeachEMAMoCo', 'FrozenTeacher', 'SPT', 'TeacherDistillMixin',
    'teacher_state_dict'
]
