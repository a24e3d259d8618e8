"""The book's chapters: one module per table or figure of Klomp et al. (2023).

Each chapter module holds everything its page needs beyond plotting — its settings per profile
(one :class:`attnlib.profiles.PerProfile` table named ``SETTINGS``), the experiment it runs, the
paper's layout, the checks of the paper's conclusions and the page's warnings — so a notebook
imports from one place and its cells call, display and plot:

============  ===========================================================================
``table1``    CIFAR accuracy (Sect. 4.1.1)
``table2``    ImageNet accuracy with complexity and latency (Sect. 4.1.2)
``table3``    fine-tuning a pretrained ResNet with new modules, plus identity-init (Sect. 4.2)
``table4``    COCO detection, Faster R-CNN + FPN (Sect. 4.4)
``table5``    BDD100k domain generalisation, SSD512 (Sect. 4.4)
``fig3``      latency vs depth and Table 2's timing columns (Sect. 4.3.1)
``fig4``      the accuracy–latency trade-off (Sect. 4.3.1)
``fig5``      latency vs input resolution (Sect. 4.3.2)
``fig6``      latency vs batch size (Sect. 4.3.2)
============  ===========================================================================

Shared by several chapters: :mod:`~attnlib.reproduce.training` (the paper's training protocols
and ``attnlib train``'s profiles), :mod:`~attnlib.reproduce.accuracy` (Tables 1–2),
:mod:`~attnlib.reproduce.detection` (Tables 4–5), :mod:`~attnlib.reproduce.latency` (Figs. 3–6),
:mod:`~attnlib.reproduce.presets` (``attnlib bench --preset``) and
:mod:`~attnlib.reproduce.common` (page warnings). Figs. 1 and 2 need nothing beyond the core
(:mod:`attnlib.attention`, :mod:`attnlib.complexity`, :mod:`attnlib.plots`).

This layer sits above the domain packages (``bench``, ``train``, ``detection``), which know
nothing of the book; only the command line and the notebooks sit above it.
"""
