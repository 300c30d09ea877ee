"""Name pools of the independent registration generator (tester 12, 2026-12-06; hand-made, not darkfigure's).

Per origin (NL, RO, BG, NG, VN, UA, MA, CN): female first names ``F``, male first names ``M`` and
surnames ``S``, 30-50 each, in order of frequency rank (sampled with Zipf weights by
:func:`benchmarks.independent_registrations.generate`). ``VARIANTS``: spelling variants and
transliterations of some names (Mohammed/Mohamed, Olena/Elena, Nguyen/Nguyễn, van der/v.d., El-),
one of which replaces the name with the setting's variant probability. Content unchanged from the
tester's ``gen/names.py`` (the generator's output depends on the order of every list).
"""

F: dict[str, list[str]] = {}
M: dict[str, list[str]] = {}
S: dict[str, list[str]] = {}
F['NL'] = "Emma Sanne Lisa Anna Fleur Eva Lotte Julia Anouk Iris Sophie Laura Femke Maud Esther Linda Marieke Ingrid Anke Petra Sandra Monique Ilse Kim Noor Tessa Roos Lieke Merel Jolien Wendy Karin Mirjam Els Ellen Yvonne Annemiek Saskia Carlijn Bregje".split()
M['NL'] = "Jan Daan Bram Sem Lucas Thijs Ruben Jeroen Pieter Kees Henk Willem Dirk Bas Tim Joost Maarten Erik Sander Niels Wouter Gert Hans Johan Koen Rik Stijn Job Teun Jelle Freek Gijs Marco Dennis Arjan Rob Wim Frank Mark Martijn".split()
S['NL'] = ["de Jong","Jansen","de Vries","van den Berg","van Dijk","Bakker","Janssen","Visser","Smit","Meijer","de Boer","Mulder","de Groot","Bos","Vos","Peters","Hendriks","van Leeuwen","Dekker","Brouwer","de Wit","Dijkstra","Smits","de Graaf","van der Meer","van der Linden","Kok","Jacobs","de Haan","Vermeulen","van den Heuvel","van der Veen","van den Broek","de Bruijn","de Bruin","van der Heijden","Schouten","van Beek","Willems","van Vliet","van de Ven","Hoekstra","Maas","Verhoeven","Koster","van Dam","van der Wal","Prins","Blom","Huisman"]
F['RO'] = "Maria Elena Ioana Andreea Alexandra Mihaela Ana Cristina Daniela Gabriela Georgiana Nicoleta Florentina Ramona Alina Simona Roxana Diana Adriana Raluca Larisa Bianca Denisa Claudia Loredana Madalina Oana Camelia Violeta Luminita Irina Carmen Lavinia Iulia Corina".split()
M['RO'] = "Ion Gheorghe Vasile Constantin Nicolae Mihai Alexandru Andrei Florin Marian Adrian Ionut Cristian Daniel Stefan Gabriel Dumitru Costel Marius Catalin Bogdan Razvan Sorin Viorel Lucian Ciprian Dorin Emil Liviu Petru Radu Ovidiu Valentin Silviu Traian".split()
S['RO'] = "Popa Popescu Pop Radu Dumitru Stan Stoica Gheorghe Matei Ciobanu Ionescu Rusu Munteanu Constantin Mihai Marin Lazar Dinu Serban Florea Moldovan Tudor Ene Dobre Barbu Nistor Cristea Toma Oprea Ilie Tanase Voicu Neagu Dragomir Sandu Lungu Mocanu Craciun Diaconu Preda Anghel Iordache Nastase Badea Zamfir Manea Balan Avram Bucur Cojocaru".split()
F['BG'] = "Maria Ivanka Elena Yordanka Penka Vesela Desislava Gergana Milena Teodora Radostina Galina Daniela Silvia Nadezhda Tsvetelina Kalina Mariya Petya Stefka Rositsa Yana Boryana Nikolina Ralitsa Denitsa Svetla Velichka Zlatka Emilia".split()
M['BG'] = "Georgi Ivan Dimitar Nikolay Petar Hristo Todor Stoyan Angel Vasil Iliya Atanas Krasimir Plamen Stefan Lyubomir Kaloyan Martin Borislav Tsvetan Yordan Emil Valentin Rumen Svetoslav Miroslav Aleksandar Bozhidar Veselin Kiril".split()
S['BG'] = "Ivanov Ivanova Georgiev Georgieva Dimitrov Dimitrova Petrov Petrova Nikolov Nikolova Hristov Hristova Stoyanov Stoyanova Todorov Todorova Iliev Ilieva Vasilev Vasileva Atanasov Atanasova Petkov Petkova Angelov Angelova Kolev Koleva Yordanov Yordanova Marinov Marinova Stefanov Stefanova Popov Popova Mihaylov Mihaylova Krastev Krasteva Kostov Kostova Dimov Dimova Pavlov Pavlova Mitev Miteva".split()
F['NG'] = "Blessing Joy Favour Precious Mercy Gift Faith Grace Esther Chioma Ngozi Amaka Adaeze Ifeoma Funmilayo Folake Yetunde Aisha Hauwa Zainab Fatima Oluwaseun Temitope Bukola Chinwe Nneka Uchenna Ebere Osasere Osaretin Efe Ivie Osarugue Omoruyi Eghosa".split()
M['NG'] = "Emmanuel Chinedu Oluwaseun Ibrahim Musa Samuel Daniel Victor Godwin Sunday Friday Osagie Osaro Efosa Uyi Nosa Ikechukwu Obinna Emeka Tunde Segun Kunle Abubakar Usman Yusuf Aliyu Chukwuemeka Kelechi Ifeanyi Babatunde".split()
S['NG'] = "Okafor Okonkwo Eze Nwosu Adeyemi Ogunleye Balogun Bello Abubakar Ibrahim Mohammed Osagie Igbinedion Omoregie Osayande Ehigiator Idahosa Aigbe Obaseki Edokpolo Uwaifo Okoro Nwachukwu Chukwu Obi Olawale Adebayo Afolabi Ojo Adeleke Ogundipe Akinola Oyelaran Ekpo Udoh Etim Ikpe Effiong Danjuma Garba".split()
F['VN'] = "Thi Linh Lan Huong Mai Hoa Trang Thu Ngoc Phuong Anh Hanh Nga Ha Hien Yen Thao Van Dung Nhung Loan Tuyet Hang Hue Quynh Diep Oanh Xuan Thanh Hong".split()
M['VN'] = "Van Minh Duc Tuan Hung Dung Nam Long Quang Thanh Hai Son Khanh Cuong Phong Huy Hoang Tien Trung Dat Vinh Thang Binh Hieu Tam Phuc Kien Manh Toan Loc".split()
S['VN'] = "Nguyen Tran Le Pham Hoang Phan Vu Dang Bui Do Ho Ngo Duong Ly Dinh Truong Lam Mai Trinh Dao Luong Cao Ta Vuong Quach Ha Chu Thai Kieu Tong".split()
F['UA'] = "Olena Oksana Tetiana Natalia Iryna Yulia Svitlana Kateryna Anastasiia Olha Mariia Viktoriia Halyna Liudmyla Nadiia Alina Khrystyna Daria Sofiia Valentyna Larysa Inna Yana Zoriana Lesia Ruslana Tamara Vira Liliia Anna".split()
M['UA'] = "Oleksandr Serhii Andrii Volodymyr Dmytro Mykola Oleksii Vasyl Ivan Yurii Viktor Ihor Bohdan Taras Petro Roman Maksym Vitalii Ruslan Yaroslav Denys Artem Pavlo Stepan Mykhailo Vadym Anatolii Oleh Hryhorii Kostiantyn".split()
S['UA'] = "Melnyk Shevchenko Boiko Kovalenko Bondarenko Tkachenko Kovalchuk Kravchenko Oliinyk Shevchuk Koval Polishchuk Bondar Tkachuk Moroz Marchenko Lysenko Rudenko Savchenko Petrenko Klymenko Pavlenko Savchuk Kuzmenko Levchenko Kravchuk Ponomarenko Vasylenko Hrytsenko Ostapenko Karpenko Zinchenko Romanenko Sydorenko Yakovenko Khomenko Ivanenko Fedorenko Mazur Kushnir".split()
F['MA'] = "Fatima Khadija Aicha Naima Malika Nadia Samira Hanane Latifa Karima Souad Zineb Meryem Hayat Amal Siham Loubna Imane Najat Rachida Houda Sanaa Salma Hafsa Ikram Wafae Bouchra Ghizlane Asmae Nora".split()
M['MA'] = "Mohammed Ahmed Youssef Mustapha Abdelkader Rachid Said Hassan Khalid Omar Karim Hamid Abdellah Brahim Driss Hicham Nourdine Aziz Jamal Mehdi Ismail Adil Yassine Anas Bilal Ayoub Soufiane Redouane Tarik Hamza".split()
S['MA'] = ["El Amrani","Benali","El Idrissi","Bouzid","El Alaoui","Ouali","Boukhari","Ait Ali","El Ouardi","Bennani","Tahiri","Chakir","El Fassi","Berrada","Ziani","Haddad","El Khattabi","Amrani","Mansouri","Azzouzi","Benjelloun","Lahlou","Naciri","El Ghazi","Sabri","Rahmouni","Bakkali","Belhaj","Cherkaoui","Ait Benhaddou","Ouahbi","El Mokhtari","Jabri","Kabbaj","Fassi Fihri"]
F['CN'] = "Li Mei Fang Jing Yan Hong Xiu Ying Hui Ling Xia Juan Qing Lan Yu Na Min Ping Jie Wei Xin Yun Lei Dan Ting Lin Qian Rui Shu Zhen".split()
M['CN'] = "Wei Jun Lei Qiang Jian Ming Tao Bo Hao Yong Gang Jie Hui Peng Chao Bin Hua Feng Long Xin Dong Kai Liang Chen Hai Zhi Yi Fei Hong Lin".split()
S['CN'] = "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Gao Luo Zheng Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Yu Du".split()
# spelling variants / transliterations (applied with some probability)
VARIANTS: dict[str, list[str]] = {
 'Mohammed':['Mohamed','Muhammad','Mohammad','Mohamad'], 'Ahmed':['Ahmad'], 'Youssef':['Yousef','Youssouf','Yusuf'],
 'Mustapha':['Mustafa'], 'Khadija':['Khadidja','Hadija'], 'Aicha':['Aisha','Aïcha'], 'Meryem':['Maryam','Meriem'],
 'Olena':['Elena','Alena'], 'Oleksandr':['Aleksandr','Alexander','Oleksander'], 'Serhii':['Sergii','Sergey','Serhiy'],
 'Andrii':['Andriy','Andrey'], 'Tetiana':['Tatiana','Tatyana'], 'Natalia':['Nataliia','Natalya'], 'Iryna':['Irina'],
 'Yulia':['Iuliia','Julia','Yuliia'], 'Olha':['Olga'], 'Mariia':['Maria'], 'Dmytro':['Dmitry','Dmitro'], 'Yurii':['Yuriy','Yuri'],
 'Shevchenko':['Chevtchenko','Schewtschenko'], 'Melnyk':['Melnik'], 'Kovalenko':['Kowalenko'],
 'Dimitar':['Dimitur','Dimiter'], 'Georgi':['Georgy','Gheorghi'], 'Hristo':['Christo','Hristov'], 'Yordan':['Jordan'], 'Mariya':['Maria'],
 'Ivanova':['Ivanowa'], 'Nikolay':['Nikolai'], 'Petar':['Peter','Petur'], 'Iliya':['Ilia','Ilya'],
 'Nguyen':['Nguyễn','Ngyuen'], 'Tran':['Trần'], 'Pham':['Phạm'], 'Thi':['Thị'], 'Hoang':['Huynh'],
 'Zhang':['Chang'], 'Zhou':['Chou'], 'Xu':['Hsu'], 'Chen':['Chan'], 'Wang':['Wong'], 'Huang':['Hwang'],
 'Ionut':['Ionuț'], 'Stefan':['Ștefan','Stephan'], 'Stoica':['Stoika'], 'Florentina':['Florentyna'], 'Ioana':['Joana'],
 'Ngozi':['Ngozie'], 'Oluwaseun':['Seun'], 'Chinedu':['Chinendu'], 'Osagie':['Osaghie'],
 'de Jong':['De Jong','Jong'], 'van den Berg':['v.d. Berg','Van den Berg','Berg'], 'van Dijk':['Van Dijk','Dijk'],
 'de Vries':['de Fries','Vries'], 'van der Meer':['v.d. Meer','Meer'], 'El Amrani':['Elamrani','Amrani','El-Amrani'],
 'El Idrissi':['Idrissi','Elidrissi'], 'El Alaoui':['Alaoui'], 'Ait Ali':['Aitali','Ait-Ali'], 'El Fassi':['Elfassi'],
}
