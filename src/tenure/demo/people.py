"""Names, places and profiles of the simulated customers, and the team that owns them.

A customer's name follows their place, as it would be written in a CRM there: Chinese names in
characters in China (王芳, with the pinyin in ``attributes.name_pinyin``), the names of the
country elsewhere, some of them Chinese names spelled as overseas Chinese spell them. Each part
of a name is drawn by its frequency, so family names repeat as they do in life (王, 李 and 张
are each about 7% of Chinese customers) while full names rarely do. See docs/demo.md, "Names".
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import polars as pl

from tenure.demo.config import DemoConfig
from tenure.demo.population import Population
from tenure.demo.timeline import to_timestamps

# Chinese family names (simplified), pinyin, approximate share per 10,000 people
# (mainland household-registration rankings: 王, 李, 张 about 7% each).
ZH_FAMILY = """
王 wang 720 李 li 710 张 zhang 680 刘 liu 510 陈 chen 450 杨 yang 330 黄 huang 240
赵 zhao 200 吴 wu 200 周 zhou 190 徐 xu 140 孙 sun 140 马 ma 130 朱 zhu 130 胡 hu 110
郭 guo 110 何 he 100 林 lin 100 高 gao 100 罗 luo 100 郑 zheng 90 梁 liang 80 谢 xie 70
宋 song 60 唐 tang 60 许 xu 60 韩 han 60 冯 feng 60 邓 deng 60 曹 cao 50 彭 peng 50
曾 zeng 50 肖 xiao 50 田 tian 50 董 dong 50 袁 yuan 40 潘 pan 40 于 yu 40 蒋 jiang 40
蔡 cai 40 余 yu 40 杜 du 40 叶 ye 40 程 cheng 40 苏 su 40 魏 wei 40 吕 lyu 40 丁 ding 40
任 ren 30 沈 shen 30 姚 yao 30 卢 lu 30 姜 jiang 30 崔 cui 30 钟 zhong 30 谭 tan 30
陆 lu 30 汪 wang 30 范 fan 30 金 jin 30 石 shi 30 廖 liao 30 贾 jia 30 夏 xia 30 韦 wei 30
付 fu 25 方 fang 25 白 bai 25 邹 zou 25 孟 meng 25 熊 xiong 25 秦 qin 25 邱 qiu 25
江 jiang 25 尹 yin 25 薛 xue 25 闫 yan 25 段 duan 25 雷 lei 25 侯 hou 25 龙 long 25
史 shi 20 陶 tao 20 黎 li 20 贺 he 20 顾 gu 20 毛 mao 20 郝 hao 20 龚 gong 20 邵 shao 20
万 wan 20 钱 qian 20 严 yan 20 覃 qin 15 武 wu 15 戴 dai 15 莫 mo 15 孔 kong 15
向 xiang 15 汤 tang 15 常 chang 15 温 wen 15 康 kang 15 施 shi 15 文 wen 15 牛 niu 15
樊 fan 15 葛 ge 15 邢 xing 15 安 an 15 齐 qi 15 易 yi 15 乔 qiao 15 伍 wu 15 庞 pang 15
颜 yan 15 倪 ni 15 庄 zhuang 15 聂 nie 15 章 zhang 15 鲁 lu 10 岳 yue 10 翟 zhai 10
殷 yin 10 詹 zhan 10 申 shen 10 耿 geng 10 关 guan 10 兰 lan 10 焦 jiao 10 俞 yu 10
左 zuo 10 柳 liu 10 甘 gan 10 祝 zhu 10 包 bao 10 宁 ning 10 尚 shang 10 符 fu 10
舒 shu 10 阮 ruan 10 柯 ke 10 纪 ji 10 梅 mei 10 童 tong 10 凌 ling 10 毕 bi 10 单 shan 10
季 ji 10 裴 pei 10 霍 huo 10 涂 tu 10 成 cheng 10 苗 miao 10 谷 gu 10 盛 sheng 10
曲 qu 10 翁 weng 10 冉 ran 10 骆 luo 10 蓝 lan 10 路 lu 10 游 you 10 辛 xin 10 靳 jin 10
管 guan 10 柴 chai 10 鲍 bao 10 华 hua 10 喻 yu 10 祁 qi 10 蒲 pu 10 房 fang 10 滕 teng 10
屈 qu 10 饶 rao 10 解 xie 10 牟 mou 10 艾 ai 10 尤 you 10 时 shi 10 穆 mu 10 卓 zhuo 10
古 gu 10 吉 ji 10 缪 miao 10 简 jian 10 车 che 10 项 xiang 10 连 lian 10 麦 mai 10
褚 chu 5 娄 lou 5 窦 dou 5 戚 qi 5 岑 cen 5 景 jing 5 党 dang 5 宫 gong 5 费 fei 5
卜 bu 5 冷 leng 5 晏 yan 5 席 xi 5 卫 wei 5 米 mi 5 柏 bai 5 宗 zong 5 桂 gui 5 全 quan 5
佟 tong 5 应 ying 5 臧 zang 5 闵 min 5 边 bian 5 卞 bian 5 姬 ji 5 师 shi 5 栾 luan 5
隋 sui 5 商 shang 5 沙 sha 5 荣 rong 5 巫 wu 5 桑 sang 5 郎 lang 5 甄 zhen 5 丛 cong 5
仲 zhong 5 虞 yu 5 敖 ao 5 巩 gong 5 池 chi 5 麻 ma 5 苑 yuan 5 迟 chi 5 欧阳 ouyang 5
司马 sima 1 上官 shangguan 1 诸葛 zhuge 1
"""
# Characters of Chinese given names, pinyin, in rough order of frequency.
ZH_FEMALE = """
芳 fang 娜 na 敏 min 静 jing 丽 li 艳 yan 婷 ting 雪 xue 琳 lin 慧 hui 颖 ying 欣 xin
怡 yi 佳 jia 梅 mei 玲 ling 霞 xia 燕 yan 萍 ping 红 hong 洁 jie 晶 jing 倩 qian 瑶 yao
璐 lu 娟 juan 莉 li 楠 nan 悦 yue 雨 yu 晓 xiao 思 si 梦 meng 诗 shi 涵 han 萱 xuan
可 ke 馨 xin 婉 wan 月 yue 云 yun 彤 tong 琪 qi 宁 ning 蕾 lei 秀 xiu 英 ying 华 hua
兰 lan 凤 feng 青 qing 丹 dan 妍 yan 嘉 jia 玉 yu 珊 shan 淑 shu 露 lu 薇 wei 菲 fei
蓉 rong 婧 jing 琦 qi 瑞 rui 欢 huan 媛 yuan 晴 qing 岚 lan 茜 qian 冰 bing 文 wen 心 xin
安 an 若 ruo 语 yu 子 zi 一 yi 美 mei 春 chun 桂 gui 秋 qiu 晨 chen 曦 xi 佩 pei 蓓 bei
"""
ZH_MALE = """
伟 wei 强 qiang 磊 lei 军 jun 勇 yong 杰 jie 涛 tao 斌 bin 超 chao 明 ming 刚 gang
平 ping 辉 hui 鹏 peng 华 hua 飞 fei 鑫 xin 波 bo 宇 yu 浩 hao 凯 kai 健 jian 俊 jun
帆 fan 旭 xu 龙 long 林 lin 峰 feng 建 jian 国 guo 文 wen 志 zhi 博 bo 子 zi 轩 xuan
睿 rui 泽 ze 晨 chen 阳 yang 昊 hao 天 tian 然 ran 一 yi 诚 cheng 毅 yi 成 cheng
亮 liang 东 dong 海 hai 江 jiang 家 jia 振 zhen 永 yong 德 de 新 xin 嘉 jia 宏 hong
晓 xiao 立 li 世 shi 庆 qing 锋 feng 思 si 航 hang 哲 zhe 铭 ming 宁 ning 扬 yang
翔 xiang 钧 jun 奇 qi 坤 kun 彬 bin 松 song 瑞 rui 逸 yi 安 an 正 zheng 春 chun 荣 rong
兵 bing 武 wu 鸿 hong 培 pei 乐 le
"""
EN_FEMALE = """
Mary Jennifer Elizabeth Sarah Jessica Emily Linda Patricia Susan Karen Lisa Michelle Laura
Amanda Melissa Stephanie Rebecca Ashley Nicole Emma Olivia Sophia Kimberly Amy Angela Rachel
Hannah Anna Grace Chloe Charlotte Ava Isabella Mia Amelia Abigail Madison Megan Lauren
Samantha Katherine Catherine Christine Heather Julie Kelly Lucy Ella Sophie Victoria Natalie
Zoe Lily Alice Claire Holly Ruby Evelyn Harper Scarlett Maria Nancy Margaret Sandra Donna
Carol Deborah Sharon Cynthia Kathleen Helen Ruth Diana Julia Caroline Audrey Leah Maya Nora
Hazel Violet Stella Aria Layla Aurora Penelope Eleanor Madeline Alexis Brittany Danielle
Christina Rose Andrea Erin Tiffany Kayla Jasmine Vanessa Courtney Allison Kristen Erica
Monica Jacqueline Brenda Pamela Janet Joyce Virginia Dorothy Shirley Frances Joan Gloria
Teresa Cheryl Denise Tracy Wendy Jill Molly Paige Morgan Taylor Brooke Sydney Haley Jenna
Kate Katie Jenny Beth Amber Alyssa Gabrielle Savannah Addison Natasha Naomi Eva Isla Freya
Poppy Daisy Imogen Georgia Bethany Gemma Kirsty Fiona Eilidh Siobhan Niamh Aoife Ciara
Sofia Lucia Camila Valentina Gabriela Carmen Ana Elena Isabel Rosa Adriana Daniela Veronica
Priya Anjali Aisha Fatima Leila Yasmin Nadia Joanna Heidi Joy Faith Hope Autumn Summer Ivy
Willow Luna Piper Quinn Reese Riley Bailey Mackenzie Kendall Jordan Sierra Tara Shannon
Colleen Maureen Bridget Kathryn Lindsey Lindsay Meredith Whitney Marissa Melanie Leslie
"""
EN_MALE = """
James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel
Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy
Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin
Scott Brandon Benjamin Samuel Gregory Alexander Frank Patrick Raymond Jack Dennis Jerry
Tyler Aaron Adam Nathan Henry Douglas Zachary Peter Kyle Noah Ethan Jeremy Walter Christian
Keith Roger Terry Austin Sean Gerald Carl Harold Dylan Arthur Lawrence Jordan Jesse Bryan
Billy Bruce Gabriel Logan Alan Albert Elijah Wayne Randy Vincent Mason Roy Ralph Bobby
Russell Bradley Philip Eugene Liam Oliver Lucas Owen Luke Isaac Leo Oscar Harry Charlie
Freddie Theo Archie Alfie Callum Connor Jamie Lewis Evan Ian Colin Graham Neil Stuart Craig
Martin Simon Max Mike Dave Chris Matt Nick Tom Dan Ben Sam Alex Jake Josh Tony Steve Jim
Joe Bill Rob Greg Jeff Todd Chad Derek Travis Cody Shane Brett Troy Marcus Dustin Cameron
Hunter Wyatt Carter Jayden Aiden Caleb Levi Grayson Hudson Lincoln Asher Ezra Miles Jaxon
Declan Finn Rory Angus Fraser Hamish Euan Ciaran Niall Conor Jose Luis Carlos Juan Miguel
Diego Alejandro Javier Antonio Manuel Rafael Pedro Fernando Ricardo Eduardo Mateo Raj
Arjun Rahul Vikram Omar Ali Hassan Yusuf Kenji Hiro Andre Darius Malik Terrence Reginald
Victor Glenn Dale Howard Kurt Wesley Spencer Trevor Grant Blake Ross Dean Gordon Hugh Rhys
"""
EN_FAMILY = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo
Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell
Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson
Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera
Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison
Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker
Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason
Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox
Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan
Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos
Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews
Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards Contreras Willis
Carpenter Lawrence Sandoval O'Brien O'Connor MacDonald Walsh Byrne Doyle Lynch Quinn Fraser
Reid Kerr Lloyd Davies Owen Griffiths Morrison Watts Barker Chapman Pearson Hopkins Cooke
Singh Khan Ali Shah Wong Lam Park Choi Yang Huang
"""
DE_FEMALE = """
Anna Maria Ursula Monika Petra Elisabeth Sabine Renate Helga Karin Brigitte Ingrid Erika
Andrea Gisela Claudia Susanne Gabriele Christa Christine Stefanie Julia Katharina Sandra
Nicole Melanie Birgit Anja Martina Kerstin Tanja Heike Silke Jana Laura Lea Lena Hannah
Sophie Sarah Lisa Leonie Johanna Emilia Mia Marie Lina Clara Charlotte Greta Franziska
Jessica Jennifer Vanessa Nina Miriam Ute Doris Jutta Bettina Annika Carina Theresa Paula
Frieda Ida Mila Elif Ayşe Zeynep
"""
DE_MALE = """
Peter Michael Thomas Andreas Wolfgang Klaus Jürgen Günter Stefan Christian Uwe Werner Horst
Frank Dieter Manfred Gerhard Hans Bernd Torsten Markus Matthias Alexander Martin Sebastian
Daniel Tobias Jan Florian Tim Lukas Jonas Leon Felix Maximilian Paul Ben Finn Elias Noah
Luca Moritz Niklas Philipp Fabian Julian Simon Dominik Patrick Marco Dennis Sven Jens Dirk
Holger Ralf Karl Heinz Helmut Rainer Jörg Oliver Benjamin Jakob Erik Kai Emil Anton Mehmet
Mustafa Can Emre
"""
DE_FAMILY = """
Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer
Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange
Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König
Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel
Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht
Schuster Simon Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger Otto
Sommer Groß Seidel Heinrich Brandt Haas Schreiber Graf Schulte Dietrich Ziegler Kuhn Kühn
Pohl Engel Horn Busch Bergmann Voigt Sauer Arnold Wolff Pfeiffer Yılmaz Kaya Demir Öztürk
Şahin Nowak Kowalski Kraft Brinkmann Schütz Ernst Thiel Lindner Hesse Kirchner Rieger Beyer
Seifert Lutz Ebert Vetter Marx Fiedler Kramer Böttcher Wendt Nagel Schenk Kaufmann Reuter Wolter
Jansen Hansen Schüler Haase Stahl Hartwig Frey Bock Berg Keil Witt Conrad Dörr Götz Hübner Lenz
Sander Steiner Ullrich Wegner
"""
FR_FEMALE = """
Marie Nathalie Isabelle Sylvie Catherine Françoise Christine Monique Valérie Sandrine Martine
Sophie Céline Stéphanie Nicole Véronique Aurélie Julie Camille Léa Manon Chloé Emma Inès Jade
Louise Alice Lina Léna Zoé Sarah Laura Pauline Marion Anaïs Mathilde Claire Hélène Élise
Juliette Charlotte Lucie Margaux Océane Émilie Caroline Audrey Virginie Laetitia Delphine
Agnès Brigitte Anne Jeanne Gabrielle Élodie Justine Clémence Amandine Cécile Yasmine Fatima
"""
FR_MALE = """
Jean Philippe Michel Alain Patrick Nicolas Christophe Pierre Christian Éric Laurent Frédéric
Daniel David Stéphane Julien Olivier Sébastien Thierry Pascal Jérôme Bernard Thomas
Alexandre Maxime Antoine Hugo Lucas Louis Gabriel Arthur Jules Raphaël Léo Adam Nathan Théo
Paul Mathis Clément Romain Guillaume Vincent François Benoît Mathieu Yann Quentin Baptiste
Bastien Florian Kévin Cédric Fabrice Didier Gilles Jacques Marc Hervé Sylvain Arnaud Damien
Mehdi Karim
"""
FR_FAMILY = """
Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefèvre
Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau
Vincent Muller Lefebvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François
Legrand Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier
Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard
Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche Renard
Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix
Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume
Lecomte Lopez Jean Dupuis Guillot Hubert Berger Carpentier Sanchez Moulin Louis Deschamps
Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot
Carré Charles Renault Charpentier Ménard Maillard Baron Bertin Bailly Hervé Schneider
"""
JA_FEMALE = """
Yuki Yoko Keiko Akiko Tomoko Naoko Kumiko Mayumi Yumiko Emi Ai Mai Yui Haruka Misaki Sakura
Hina Yuna Aoi Mio Rin Miyu Nanami Ayaka Saki Asuka Megumi Kaori Noriko Sachiko Mika Eri Rie
Yuka Chika Kana Natsuki Riko Honoka Kaede Momoka Miho Ayumi Junko Hiromi Michiko Reiko Kyoko
Nozomi Shiori Mariko Chiharu Atsuko Erika Madoka Sayaka Tomomi Yoshiko Kazuko Hanako
"""
JA_MALE = """
Hiroshi Takashi Kenji Makoto Satoshi Kazuo Hideo Yoshio Takeshi Daisuke Shota Ryota Yuta
Kenta Sho Haruto Sota Yuto Riku Ren Hinata Minato Daiki Kaito Takumi Naoki Tsubasa Kazuki
Yusuke Kosuke Shun Ryo Akira Koji Masato Tetsuya Tomoya Yuji Shinji Tatsuya Kei Jun Hayato
Yamato Sora Itsuki Kota Taiga Tomohiro Masashi Hideki Ichiro Jiro Noboru Osamu Shigeru
Tadashi Toshio Yasuhiro Nobuo
"""
JA_FAMILY = """
Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada
Sasaki Yamaguchi Saito Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori Abe Ikeda
Hashimoto Yamashita Ishikawa Nakajima Maeda Fujita Ogawa Goto Okada Hasegawa Murakami Kondo
Ishii Sakamoto Endo Aoki Fujii Nishimura Fukuda Ota Miura Fujiwara Okamoto Matsuda Nakagawa
Nakano Harada Ono Tamura Takeuchi Kaneko Wada Nakayama Ishida Ueda Morita Hara Shibata Sakai
Kudo Yokoyama Miyazaki Miyamoto Uchida Takagi Ando Taniguchi Ohno Maruyama Imai Takada
Fujimoto Takeda Murata Ueno Sugiyama Masuda Sugawara Hirano Kojima Otsuka Chiba Kubo Matsui
Iwasaki Sakurai Kinoshita Noguchi Matsuo Nomura Kikuchi Sano Onishi Sugimoto Arai Kawaguchi
Kawasaki Kawamura Matsushita Nagai Nagata Hirata Ishihara Kurihara Morimoto Tsuchiya Hoshino
Okazaki Kuroda Komatsu Hattori Nishida Kataoka Higuchi Tajima Oshima Yano Iida Katayama Hirose
Nishiyama Mizuno Kitamura Yasuda Nakanishi Akiyama Hamada Ogura Tsuji Takano Kubota
"""
# Family names of Chinese heritage as written outside the mainland (Hokkien, Teochew,
# Cantonese and pinyin spellings), for Singapore and the Chinese diaspora.
OVERSEAS_FAMILY = """
Tan Lim Lee Ng Wong Chen Chan Ong Goh Chua Koh Teo Wang Zhang Liu Li Huang Lin Wu Ang Yeo
Tay Ho Low Toh Sim Chong Chia Seah Lau Leong Foo Yap Lai Chew Heng Quek Soh Neo Cheung Leung
Yang Zhou Kwek Phua Loh Cheong Liew Pang Kang Wee Chin Tham Choo Yong Khoo Tang Xu Sun Ma
Zhu Hu Guo Zhao Kwan Fung Yip Tsang Chu Mak Tse Lam Kwok Yuen Siu Hui Lo
"""
PLACES = (  # country, region, city, weight
    ("China", "Asia", "Shanghai", 0.12),
    ("China", "Asia", "Beijing", 0.09),
    ("China", "Asia", "Shenzhen", 0.07),
    ("China", "Asia", "Hangzhou", 0.05),
    ("United States", "Americas", "New York", 0.1),
    ("United States", "Americas", "San Francisco", 0.07),
    ("United States", "Americas", "Austin", 0.05),
    ("Canada", "Americas", "Toronto", 0.05),
    ("United Kingdom", "Europe", "London", 0.09),
    ("Germany", "Europe", "Berlin", 0.07),
    ("France", "Europe", "Paris", 0.05),
    ("Singapore", "Asia", "Singapore", 0.06),
    ("Japan", "Asia", "Tokyo", 0.06),
    ("Australia", "Oceania", "Sydney", 0.07),
)
# Words for company names, and the kinds of business each industry's names end in.
BRANDS = """
Blue Bright North Golden Swift Silver Green Nova Peak Harbor Cedar Lotus Summit Atlas Beacon
Crest Pioneer Meridian Horizon Apex Vertex Orbit Echo Maple Oak Pine River Stone Iron Copper
Coral Amber Jade Falcon Eagle Fox Otter Heron Lark Wren Aurora Polar Solar Lunar Tidal Granite
Willow Birch Aspen Juniper Sage Clover Redwood Lighthouse Keystone Cornerstone Northstar
Evergreen Westfield Eastgate Southbank Highland Lakeside Riverside Clearwater Bluewater Ironwood
"""
COINED_TAILS = "loop wave flow stack hub point base line grid path forge craft nest spark mint"
KINDS = {  # industry: English kinds, Chinese kinds
    "software": (
        "Labs Systems Software Technologies Digital Analytics",
        "科技 软件 信息技术 网络科技",
    ),
    "retail": ("Trading Goods Supply Outfitters Market Home", "商贸 贸易 百货 电子商务"),
    "finance": ("Capital Partners Financial Advisors Wealth", "投资 金融服务 资产管理"),
    "healthcare": (
        "Health Medical Care Clinics Pharma Wellness",
        "医疗科技 健康管理 医药 生物科技",
    ),
    "manufacturing": (
        "Manufacturing Industries Works Engineering Components",
        "制造 机械 实业 新材料",
    ),
    "education": ("Learning Academy Education Tutoring Institute", "教育科技 文化 培训"),
    "media": ("Media Studios Creative Publishing Pictures", "传媒 文化传播 广告 影视"),
    "logistics": (
        "Logistics Freight Shipping Transport Distribution",
        "物流 供应链管理 国际货运 运输",
    ),
}
INDUSTRIES = tuple(KINDS)
SIZES = ("1-10", "11-50", "51-200", "201-1000", "1000+")
BRAND_ZH = (
    "华信达盛恒泰鑫源丰创新智云联博金宏天瑞安中远航隆德诚汇通益嘉和升宇星辰海蓝"
    "腾睿卓优佳明光正力美同合众易捷迅凯锐启帆鼎晟"
)
CITY_ZH = {"Shanghai": "上海", "Beijing": "北京", "Shenzhen": "深圳", "Hangzhou": "杭州"}
LEGAL_SUFFIX = {  # the usual legal form of a company in each country (China: 有限公司)
    "United States": "Inc.",
    "Canada": "Inc.",
    "United Kingdom": "Ltd",
    "Germany": "GmbH",
    "France": "SAS",
    "Singapore": "Pte. Ltd.",
    "Japan": "Co., Ltd.",
    "Australia": "Pty Ltd",
}

ADMIN_EMAIL = "admin@tenure.example"  # `tenure demo` prints this admin's one-time password
TEAM = (  # name, email, role
    ("Ada Admin", ADMIN_EMAIL, "admin"),
    ("Morgan Lead", "morgan@tenure.example", "manager"),
    ("Mei Marketing", "mei@tenure.example", "marketing"),
    ("Sam Seller", "sam@tenure.example", "sales"),
    ("Sara Sales", "sara@tenure.example", "sales"),
    ("Zhou Xiaoming", "zhou@tenure.example", "sales"),
    ("Casey Success", "casey@tenure.example", "csm"),
    ("Lin Yue", "lin@tenure.example", "csm"),
    ("Vik Viewer", "vik@tenure.example", "viewer"),
)


# the people of the feedback teams (tenure.demo.surveys): they own no customers
FEEDBACK_PEOPLE = (  # name, email, role, team
    ("Ivy Chen", "ivy@tenure.example", "csm", "support"),
    ("Omar Haddad", "omar@tenure.example", "csm", "support"),
    ("Priya Nair", "priya@tenure.example", "csm", "product"),
    ("Bea Keller", "bea@tenure.example", "csm", "billing"),
)


def users_frame() -> pl.DataFrame:
    """Return the demo team (ids 1..n): the owners of customers, then the feedback teams."""
    people = [(*t, {"sales": "sales", "csm": "success"}.get(t[2])) for t in TEAM]
    people += list(FEEDBACK_PEOPLE)
    return pl.DataFrame(
        {
            "id": np.arange(1, len(people) + 1),
            "name": [t[0] for t in people],
            "email": [t[1] for t in people],
            "role": [t[2] for t in people],
            # playbooks may give tasks to a team: sales, customer success, the feedback teams
            "team": [t[3] for t in people],
        }
    )


# How each city's customers are named: the share of each style. "overseas" is an English given
# name with a family name of Chinese heritage (Kevin Wong); "sg" a Chinese name as Singapore
# writes it (Tan Wei Ming).
STYLES = ("zh", "en", "de", "fr", "ja", "sg", "overseas")
PLACE_STYLES = {
    "Shanghai": {"zh": 1.0},
    "Beijing": {"zh": 1.0},
    "Shenzhen": {"zh": 1.0},
    "Hangzhou": {"zh": 1.0},
    "New York": {"en": 0.94, "overseas": 0.06},
    "San Francisco": {"en": 0.8, "overseas": 0.2},
    "Austin": {"en": 0.96, "overseas": 0.04},
    "Toronto": {"en": 0.87, "overseas": 0.13},
    "London": {"en": 0.95, "overseas": 0.05},
    "Berlin": {"de": 0.93, "en": 0.05, "overseas": 0.02},
    "Paris": {"fr": 0.93, "en": 0.05, "overseas": 0.02},
    "Singapore": {"sg": 0.4, "overseas": 0.35, "en": 0.25},
    "Tokyo": {"ja": 0.95, "en": 0.05},
    "Sydney": {"en": 0.88, "overseas": 0.12},
}
COUNTRY_STYLE = {  # whose family names a country's companies are named after
    "United States": "en",
    "Canada": "en",
    "United Kingdom": "en",
    "Australia": "en",
    "Germany": "de",
    "France": "fr",
    "Japan": "ja",
    "Singapore": "overseas",
    "China": "en",  # unused: Chinese companies have Chinese names
}
ZH_SINGLE_GIVEN = 0.25  # share of Chinese given names of one character (王芳 rather than 王晓芳)
EMAIL_PATTERNS = (0.45, 0.25, 0.2, 0.1)  # fang.wang, wangfang (johnsmith), fwang, fang_wang
EMAIL_DOMAINS = (("example.com", "example.net", "example.org"), (0.7, 0.15, 0.15))


def email_token(name: str) -> str:
    """Spell a name for an email address in lower-case ASCII: Müller → mueller, Léa → lea."""
    text = name.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ı", "i"))
    return "".join(c for c in text if "a" <= c <= "z")


@dataclass(frozen=True)
class Pool:
    """Names, their email spellings, and the probability of each."""

    names: pl.Series
    tokens: pl.Series
    p: np.ndarray

    @classmethod
    def parse(cls, text: str, fields: int = 1, offset: float = 10.0) -> Pool:
        """Read entries of 1 (name), 2 (+ spelling) or 3 (+ weight) whitespace-separated fields.

        Names come most common first; without weights, frequency falls as 1/(rank + offset).
        """
        words = text.split()
        names = words[::fields]
        tokens = words[1::fields] if fields > 1 else [email_token(n) for n in names]
        weights = (
            np.array(words[2::fields], dtype=np.float64)
            if fields > 2
            else 1.0 / (np.arange(len(names)) + offset)
        )
        return cls(pl.Series(names, dtype=pl.String), pl.Series(tokens), weights / weights.sum())

    def indices(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` entries by their frequency."""
        return rng.choice(self.p.size, n, p=self.p)

    def draw(self, rng: np.random.Generator, n: int) -> tuple[pl.Series, pl.Series]:
        """Draw ``n`` names and their spellings."""
        idx = self.indices(rng, n)
        return self.names.gather(idx), self.tokens.gather(idx)


@dataclass(frozen=True)
class Given:
    """Given names (or Chinese given-name characters) of women and of men."""

    female: Pool
    male: Pool

    def draw(self, rng: np.random.Generator, female: np.ndarray) -> tuple[pl.Series, pl.Series]:
        """Draw one per customer from the pool of their gender."""
        idx = np.empty(female.size, dtype=np.int64)
        idx[female] = self.female.indices(rng, int(female.sum()))
        idx[~female] = self.female.p.size + self.male.indices(rng, int((~female).sum()))
        names = pl.concat([self.female.names, self.male.names])
        return names.gather(idx), pl.concat([self.female.tokens, self.male.tokens]).gather(idx)


ZH_FAMILY_POOL = Pool.parse(ZH_FAMILY, 3)
ZH_GIVEN = Given(Pool.parse(ZH_FEMALE, 2), Pool.parse(ZH_MALE, 2))
EN_GIVEN = Given(Pool.parse(EN_FEMALE), Pool.parse(EN_MALE))
# A few hundred family names stand for a long tail of rarer ones, so their frequencies fall more
# gently than given names' (Smith about 1.5% of the English-speaking customers, James 3% of men).
FAMILY_OFFSET = 30.0
WESTERN = {  # style: (family names, given names)
    "en": (Pool.parse(EN_FAMILY, offset=FAMILY_OFFSET), EN_GIVEN),
    "de": (
        Pool.parse(DE_FAMILY, offset=FAMILY_OFFSET),
        Given(Pool.parse(DE_FEMALE), Pool.parse(DE_MALE)),
    ),
    "fr": (
        Pool.parse(FR_FAMILY, offset=FAMILY_OFFSET),
        Given(Pool.parse(FR_FEMALE), Pool.parse(FR_MALE)),
    ),
    "ja": (
        Pool.parse(JA_FAMILY, offset=FAMILY_OFFSET),
        Given(Pool.parse(JA_FEMALE), Pool.parse(JA_MALE)),
    ),
    "overseas": (Pool.parse(OVERSEAS_FAMILY, offset=FAMILY_OFFSET), EN_GIVEN),
}


def _chinese_given(
    rng: np.random.Generator, female: np.ndarray
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """One or two characters, each drawn by its frequency: 芳, 晓雨 (fang, xiaoyu; Xiao Yu)."""
    first, first_pinyin = ZH_GIVEN.draw(rng, female)
    second, second_pinyin = ZH_GIVEN.draw(rng, female)
    two = pl.Series(rng.random(female.size) >= ZH_SINGLE_GIVEN)
    frame = pl.DataFrame({"a": first, "pa": first_pinyin, "b": second, "pb": second_pinyin})
    both = frame.select(
        pl.when(two).then(pl.col("a") + pl.col("b")).otherwise(pl.col("a")).alias("chars"),
        pl.when(two).then(pl.col("pa") + pl.col("pb")).otherwise(pl.col("pa")).alias("pinyin"),
        pl.when(two)
        .then(pl.col("pa").str.to_titlecase() + " " + pl.col("pb").str.to_titlecase())
        .otherwise(pl.col("pa").str.to_titlecase())
        .alias("spaced"),
    )
    return both["chars"], both["pinyin"], both["spaced"]


def _zh_names(rng: np.random.Generator, female: np.ndarray) -> pl.DataFrame:
    """王芳: family name first, no space; pinyin Wang Fang beside it."""
    family, family_pinyin = ZH_FAMILY_POOL.draw(rng, female.size)
    given, given_pinyin, _ = _chinese_given(rng, female)
    return pl.DataFrame(
        {
            "name": family + given,
            "name_pinyin": family_pinyin.str.to_titlecase() + " " + given_pinyin.str.to_titlecase(),
            "given_token": given_pinyin,
            "family_token": family_pinyin,
            "family_first": True,
        }
    )


def _sg_names(rng: np.random.Generator, female: np.ndarray) -> pl.DataFrame:
    """Tan Wei Ming: a Chinese name romanised, family name first."""
    family, family_token = WESTERN["overseas"][0].draw(rng, female.size)
    _, given_pinyin, spaced = _chinese_given(rng, female)
    return pl.DataFrame(
        {
            "name": family + " " + spaced,
            "name_pinyin": pl.Series([None] * female.size, dtype=pl.String),
            "given_token": given_pinyin,
            "family_token": family_token,
            "family_first": True,
        }
    )


def _western_names(rng: np.random.Generator, female: np.ndarray, style: str) -> pl.DataFrame:
    """Emma Johnson: given name first."""
    family_pool, given_pool = WESTERN[style]
    given, given_token = given_pool.draw(rng, female)
    family, family_token = family_pool.draw(rng, female.size)
    return pl.DataFrame(
        {
            "name": given + " " + family,
            "name_pinyin": pl.Series([None] * female.size, dtype=pl.String),
            "given_token": given_token,
            "family_token": family_token,
            "family_first": False,
        }
    )


def _styles(rng: np.random.Generator, place: np.ndarray) -> np.ndarray:
    """Draw each customer's naming style (an index into STYLES) by the shares of their city."""
    shares = np.array([[PLACE_STYLES[p[2]].get(s, 0.0) for s in STYLES] for p in PLACES])
    bounds = np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)[:, :-1]
    style: np.ndarray = (rng.random(place.size)[:, None] >= bounds[place]).sum(axis=1)
    return style


def _emails(rng: np.random.Generator, names: pl.DataFrame) -> pl.Series:
    """fang.wang@…, wangfang@…, fwang@…, fang_wang@…; a number makes a repeated one unique."""
    g, f = pl.col("given_token"), pl.col("family_token")
    pattern = pl.Series(rng.choice(len(EMAIL_PATTERNS), names.height, p=EMAIL_PATTERNS))
    together = pl.when(pl.col("family_first")).then(f + g).otherwise(g + f)
    local = (
        pl.when(pattern == 0)
        .then(g + "." + f)
        .when(pattern == 1)
        .then(together)
        .when(pattern == 2)
        .then(g.str.slice(0, 1) + f)
        .otherwise(g + "_" + f)
    )
    domains, shares = EMAIL_DOMAINS
    domain = pl.Series(domains)[rng.choice(len(domains), names.height, p=shares)]
    locals_ = names.select(local).to_series()
    seen = pl.Series(_occurrence(locals_.hash().to_numpy()))
    # local parts hold letters only, so a local part and its count among equals never collide
    number = pl.when(seen > 0).then((seen + 1).cast(pl.String)).otherwise(pl.lit(""))
    return pl.select((locals_ + number + "@" + domain).alias("email")).to_series()


def _occurrence(keys: np.ndarray) -> np.ndarray:
    """How many earlier rows have the same key (0 for the first of each).

    Hashes stand in for the strings (sorting integers is far quicker); two strings sharing a
    hash would only share a count sequence, which keeps the results distinct all the same.
    """
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    position = np.arange(keys.size)
    first = np.ones(keys.size, dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    counts = np.empty(keys.size, dtype=np.int64)
    counts[order] = position - np.maximum.accumulate(np.where(first, position, 0))
    return counts


def name_frame(rng: np.random.Generator, place: np.ndarray, female: np.ndarray) -> pl.DataFrame:
    """Every customer's ``name``, ``name_pinyin`` (Chinese names only) and ``email``."""
    style = _styles(rng, place)
    parts = []
    for code, key in enumerate(STYLES):
        rows = np.flatnonzero(style == code)
        if rows.size == 0:
            continue
        if key == "zh":
            part = _zh_names(rng, female[rows])
        elif key == "sg":
            part = _sg_names(rng, female[rows])
        else:
            part = _western_names(rng, female[rows], key)
        parts.append(part.with_columns(pl.Series("row", rows)))
    names = pl.concat(parts).sort("row")
    return names.select("name", "name_pinyin").with_columns(_emails(rng, names))


def _family_names(rng: np.random.Generator, country: np.ndarray) -> pl.Series:
    """Draw a family name per row from the pool of its country (``country`` indexes PLACES)."""
    keys = tuple(WESTERN)
    style = np.array([keys.index(COUNTRY_STYLE[p[0]]) for p in PLACES])[country]
    idx = np.empty(country.size, dtype=np.int64)
    offset = 0
    for k, key in enumerate(keys):
        pool = WESTERN[key][0]
        rows = style == k
        idx[rows] = offset + pool.indices(rng, int(rows.sum()))
        offset += pool.p.size
    return pl.concat([WESTERN[key][0].names for key in keys]).gather(idx)


def _kinds(rng: np.random.Generator, industry: np.ndarray, chinese: bool) -> pl.Series:
    """Draw a kind of business that fits each row's industry: Logistics, Freight; 物流, 运输."""
    lists = [kinds[1 if chinese else 0].split() for kinds in KINDS.values()]
    sizes = np.array([len(words) for words in lists])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pick = offsets[industry] + (rng.random(industry.size) * sizes[industry]).astype(np.int64)
    return pl.Series([w for words in lists for w in words]).gather(pick)


def _western_companies(
    rng: np.random.Generator, place: np.ndarray, industry: np.ndarray
) -> pl.Series:
    """Cedar Logistics Inc., Keller Freight GmbH, Moreau & Petit SAS, Novaspark Media Ltd."""
    n = place.size
    brands, tails = BRANDS.split(), COINED_TAILS.split()
    short = [b for b in brands if len(b) <= 6]  # Cedarloop, not Cornerstoneloop
    brand = pl.Series(brands).gather(rng.integers(0, len(brands), n))
    coined = pl.Series(short).gather(rng.integers(0, len(short), n)) + pl.Series(tails).gather(
        rng.integers(0, len(tails), n)
    )
    first, second = _family_names(rng, place), _family_names(rng, place)
    kind = _kinds(rng, industry, chinese=False)
    pattern = pl.Series(rng.choice(5, n, p=(0.3, 0.3, 0.15, 0.1, 0.15)))
    suffix = pl.Series([LEGAL_SUFFIX.get(p[0], "Ltd") for p in PLACES]).gather(place)
    frame = pl.DataFrame({"brand": brand, "coined": coined, "a": first, "b": second, "k": kind})
    base = (
        pl.when(pattern == 0)
        .then(pl.col("brand") + " " + pl.col("k"))
        .when(pattern == 1)
        .then(pl.col("a") + " " + pl.col("k"))
        .when(pattern == 2)
        .then(pl.col("a") + " & " + pl.col("b"))
        .when(pattern == 3)
        .then(pl.col("coined"))
        .otherwise(pl.col("coined") + " " + pl.col("k"))
    )
    formal = pl.Series(rng.random(n) < 0.7)
    return frame.select(pl.when(formal).then(base + " " + suffix).otherwise(base)).to_series()


def _chinese_companies(
    rng: np.random.Generator, place: np.ndarray, industry: np.ndarray
) -> pl.Series:
    """杭州云帆科技有限公司: city, a two-character brand, the business, the legal form."""
    n, size = place.size, len(BRAND_ZH)
    first = rng.integers(0, size, n)
    second = (first + rng.integers(1, size, n)) % size  # never the same character twice
    chars = pl.Series(list(BRAND_ZH))
    city = pl.Series([CITY_ZH.get(p[2], "") for p in PLACES]).gather(place)
    form = pl.Series(["有限公司", "股份有限公司"]).gather((rng.random(n) < 0.15).astype(np.int64))
    return city + chars.gather(first) + chars.gather(second) + _kinds(rng, industry, True) + form


def company_names(rng: np.random.Generator, place: np.ndarray, industry: np.ndarray) -> pl.Series:
    """Name a company for every customer, as companies are named in their country."""
    chinese = np.array([p[0] == "China" for p in PLACES])[place]
    western = _western_companies(rng, place, industry)
    zh = _chinese_companies(rng, place, industry)
    return pl.select(pl.when(pl.Series(chinese)).then(zh).otherwise(western)).to_series()


def _gather(options: tuple[str | None, ...], idx: np.ndarray) -> pl.Series:
    return pl.Series(options)[idx]


def _owners(rng: np.random.Generator, pop: Population, value: np.ndarray) -> np.ndarray:
    """Valuable buyers get a customer-success owner; a share of open leads a salesperson."""
    team = users_frame().head(len(TEAM))  # the feedback teams own no customers
    sales = team.filter(pl.col("role") == "sales")["id"].to_numpy()
    csm = team.filter(pl.col("role") == "csm")["id"].to_numpy()
    owner = np.zeros(pop.size, dtype=np.int64)
    top = (
        pop.buyer & (value >= np.quantile(value[pop.buyer], 0.8)) if pop.buyer.any() else pop.buyer
    )
    owner[top] = rng.choice(csm, top.sum())
    lead = ~pop.buyer & (rng.random(pop.size) < 0.3)
    owner[lead] = rng.choice(sales, lead.sum())
    return owner


def _attributes(chinese: np.ndarray, names: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """{"preferred_language": …} and, for Chinese names, their pinyin."""
    lang = np.where(chinese | (rng.random(chinese.size) < 0.05), "zh", "en")
    pinyin = names["name_pinyin"]
    return pl.select(
        pl.concat_str(
            pl.lit('{"preferred_language":"'),
            pl.Series(lang),
            pl.lit('"'),
            pl.when(pinyin.is_not_null())
            .then(pl.lit(',"name_pinyin":"') + pinyin + pl.lit('"'))
            .otherwise(pl.lit("")),
            pl.lit("}"),
        )
    ).to_series()


def _company_columns(
    rng: np.random.Generator, naming: np.random.Generator, place: np.ndarray, config: DemoConfig
) -> dict[str, pl.Series]:
    """Company, industry and size: every SaaS customer is a company, a tenth of shoppers."""
    n = place.size
    mask = rng.random(n) < (1.0 if config.profile == "saas" else 0.1)
    industry = rng.integers(0, len(INDUSTRIES), n)
    size = rng.choice(len(SIZES), n, p=[0.35, 0.3, 0.2, 0.1, 0.05])
    rows = np.flatnonzero(mask)
    columns = {
        "company": pl.Series([None] * n, dtype=pl.String).scatter(
            rows, company_names(naming, place[rows], industry[rows])
        ),
        "industry": _gather(INDUSTRIES, industry),
        "company_size": _gather(SIZES, size),
    }
    keep = pl.Series(mask)
    return {k: pl.select(pl.when(keep).then(v)).to_series().alias(k) for k, v in columns.items()}


def customer_frame(rng: np.random.Generator, pop: Population, config: DemoConfig) -> pl.DataFrame:
    """Return the customers table of the demo company (ids 1..n)."""
    n = pop.size
    ids = np.arange(1, n + 1)
    naming = rng.spawn(1)[0]  # names and companies have their own stream of draws
    weights = np.array([p[3] for p in PLACES])
    place = rng.choice(len(PLACES), n, p=weights / weights.sum())
    gender = rng.choice(3, n, p=[0.46, 0.46, 0.08])  # female, male, not given
    names = name_frame(naming, place, np.where(gender == 2, naming.random(n) < 0.5, gender == 0))
    companies = _company_columns(rng, naming, place, config)
    mean_value = config.latent.p / pop.nu
    owner = _owners(rng, pop, mean_value)
    email_ok = rng.random(n) < 0.65
    vip = pop.buyer & (mean_value >= np.quantile(mean_value, 0.95))
    wholesale = rng.random(n) < 0.02
    tags = pl.select(
        pl.when(pl.Series(vip))
        .then(pl.lit('["vip"]'))
        .when(pl.Series(wholesale))
        .then(pl.lit('["wholesale"]'))
    ).to_series()
    chinese = np.array([p[0] == "China" for p in PLACES])[place]
    birthday_days = rng.integers(18 * 365, 70 * 365, n)
    frame = pl.DataFrame(
        {
            "id": ids,
            "external_id": pl.Series(ids).cast(pl.String).str.zfill(7).str.replace(r"^", "C"),
            "name": names["name"],
            "email": names["email"],
            "phone": pl.select(
                pl.format("+1-555-{}", pl.Series(rng.integers(1_000_000, 9_999_999, n)))
            ).to_series(),
            **companies,
            "region": _gather(tuple(p[1] for p in PLACES), place),
            "country": _gather(tuple(p[0] for p in PLACES), place),
            "city": _gather(tuple(p[2] for p in PLACES), place),
            "birthday": pl.Series(
                np.datetime64(config.end, "D") - birthday_days.astype("timedelta64[D]")
            ),
            "gender": _gather(("female", "male", None), gender),
            "acquisition_channel": _gather(tuple(c.key for c in config.channels), pop.channel),
            "acquired_at": to_timestamps(pop.acquired, config),
            "owner_id": pl.Series(np.where(owner > 0, owner, 0)).replace(0, None),
            "tags": tags,
            "attributes": _attributes(chinese, names, rng),
            "email_consent": email_ok,
            "sms_consent": rng.random(n) < 0.3,
        }
    )
    if config.profile == "saas":
        frame = frame.with_columns(
            pl.lit(None, dtype=pl.Date).alias("birthday"),
            pl.lit(None, dtype=pl.String).alias("gender"),
        )
    return frame
