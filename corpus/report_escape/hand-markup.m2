2<a href="x">&amp; 'q'</a>
	|*_`~[]\