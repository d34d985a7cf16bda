(function(){
'use strict';
// The journey page's script: the step picker (#step=N in the address, the links at the top, or the
// arrow keys), the attention heatmaps drawn on canvases, and hover labels. It marks the body when
// done: data-gb-step (the step shown, from 0), data-gb-ready (heatmaps drawn for it),
// data-gb-bar-min (the narrowest probability bar track, in px), or data-gb-error on a script error.
var body=document.body,status=document.getElementById('gb-status');
window.addEventListener('error',function(e){body.setAttribute('data-gb-error',String(e.message||e));
  if(status){status.textContent='script error: '+(e.message||e);}});
var data=JSON.parse(document.getElementById('gb-data').textContent);
var steps=[].slice.call(document.querySelectorAll('.gb-step'));
var links=[].slice.call(document.querySelectorAll('#gb-steps a'));
var chips=[].slice.call(document.querySelectorAll('#gb-tokens .chip[data-pos]'));
var hover=document.getElementById('gb-hover');
var drawn={},current=-1;

function color(p){p=Math.max(0,Math.min(1,p));var r=Math.round(247-p*239),g=Math.round(251-p*203),b=Math.round(255-p*148);
  return 'rgb('+r+','+g+','+b+')';}
function label(t){t=t.replace(/ /g,'\u2423');return t.length>14?t.slice(0,13)+'\u2026':t;}
function pct(p){return (p*100).toFixed(1)+'%';}
function draw(canvas,m,cell){var n=m.length;canvas.width=n*cell;canvas.height=n*cell;var c=canvas.getContext('2d');
  c.fillStyle='#fff';c.fillRect(0,0,n*cell,n*cell);
  for(var i=0;i<n;i++){for(var j=0;j<=i&&j<m[i].length;j++){c.fillStyle=color(m[i][j]);c.fillRect(j*cell,i*cell,cell,cell);}}}
function showHover(ev,text){hover.textContent=text;hover.hidden=false;
  var x=ev.clientX+14,y=ev.clientY+14;if(x+hover.offsetWidth>window.innerWidth){x=ev.clientX-14-hover.offsetWidth;}
  if(y+hover.offsetHeight>window.innerHeight){y=ev.clientY-14-hover.offsetHeight;}
  hover.style.left=Math.max(0,x)+'px';hover.style.top=Math.max(0,y)+'px';}
function hideHover(){hover.hidden=true;}
// The cell under the mouse, for a canvas whose cells start at pad and are cell wide.
function cellAt(cv,ev,pad,cell){var r=cv.getBoundingClientRect(),sx=cv.width/r.width,sy=cv.height/r.height;
  return {i:Math.floor(((ev.clientY-r.top)*sy-pad)/cell),j:Math.floor(((ev.clientX-r.left)*sx-pad)/cell)};}
function describe(d,l,h,i,j){var t=d.tokens;return 'layer '+l+', head '+h+'\nposition '+(d.first+i)+' '+label(t[i])+
  ' reads position '+(d.first+j)+' '+label(t[j])+': '+pct(d.patterns[l][h][i][j]);}

function heatmaps(k){
  if(drawn[k]!==undefined){return drawn[k];}
  var d=data.steps[k],grid=document.getElementById('gb-heatmaps-'+k);
  if(!grid||!d.patterns){drawn[k]=0;return 0;}
  var L=d.patterns.length,H=L?d.patterns[0].length:0,n=d.tokens.length,count=0;
  var cell=Math.max(2,Math.min(12,Math.floor(96/Math.max(1,n))));
  grid.innerHTML='';var g=document.createElement('div');g.className='hm-grid';
  g.style.gridTemplateColumns='40px repeat('+H+', max-content)';grid.appendChild(g);
  g.appendChild(document.createElement('span'));
  for(var h0=0;h0<H;h0++){var col=document.createElement('div');col.className='hm-col';col.textContent='head '+h0;g.appendChild(col);}
  var selected=null;
  for(var l=0;l<L;l++){var lab=document.createElement('div');lab.className='hm-row';lab.textContent='L'+l;g.appendChild(lab);
    for(var h=0;h<H;h++){(function(l,h){var box=document.createElement('div');box.className='hm';
      var cv=document.createElement('canvas');draw(cv,d.patterns[l][h],cell);box.appendChild(cv);
      cv.setAttribute('aria-label','attention of layer '+l+' head '+h);
      var cap=document.createElement('span');cap.textContent='L'+l+' H'+h;box.appendChild(cap);
      cv.addEventListener('mousemove',function(ev){var c=cellAt(cv,ev,0,cell);
        if(c.i>=0&&c.j>=0&&c.i<n&&c.j<=c.i){showHover(ev,describe(d,l,h,c.i,c.j));}else{hideHover();}});
      cv.addEventListener('mouseleave',hideHover);
      box.addEventListener('click',function(){if(selected){selected.classList.remove('sel');}selected=box;box.classList.add('sel');detail(k,l,h);});
      g.appendChild(box);count++;})(l,h);}}
  detail(k,L-1,0);
  drawn[k]=count;return count;}

function detail(k,l,h){var d=data.steps[k],cv=document.getElementById('gb-detail-canvas-'+k),title=document.getElementById('gb-detail-title-'+k);
  if(!cv){return;}var m=d.patterns[l][h],toks=d.tokens,n=toks.length;
  var cell=Math.max(10,Math.min(28,Math.floor(560/Math.max(1,n))));var pad=110;
  cv.width=pad+n*cell+10;cv.height=pad+n*cell+10;var c=cv.getContext('2d');c.fillStyle='#fff';c.fillRect(0,0,cv.width,cv.height);
  c.font='11px sans-serif';c.fillStyle='#1b1f24';c.textAlign='right';c.textBaseline='middle';
  for(var i=0;i<n;i++){var t=label(toks[i]);
    c.fillText(t+' '+(d.first+i),pad-4,pad+i*cell+cell/2);
    c.save();c.translate(pad+i*cell+cell/2,pad-4);c.rotate(-Math.PI/2);c.textAlign='left';c.fillText(t,0,0);c.restore();}
  for(var i2=0;i2<n;i2++){for(var j=0;j<=i2&&j<m[i2].length;j++){c.fillStyle=color(m[i2][j]);c.fillRect(pad+j*cell,pad+i2*cell,cell-1,cell-1);
    if(cell>=24){c.fillStyle=m[i2][j]>0.55?'#fff':'#333';c.textAlign='center';c.font='9px sans-serif';
      c.fillText(Math.round(m[i2][j]*100),pad+j*cell+cell/2,pad+i2*cell+cell/2);c.font='11px sans-serif';c.textAlign='right';c.fillStyle='#1b1f24';}}}
  title.textContent='Layer '+l+', head '+h+' of step '+(k+1)+': row = query (reading), column = key (read). Hover for values.';
  var tip=document.getElementById('gb-tip-'+k);
  cv.onmousemove=function(ev){var q=cellAt(cv,ev,pad,cell);
    if(q.i>=0&&q.j>=0&&q.i<n&&q.j<=q.i){var s=describe(d,l,h,q.i,q.j);tip.textContent=s.replace('\n',': ');showHover(ev,s);}else{hideHover();}};
  cv.onmouseleave=hideHover;}

// Marks the token chips for step k: the context's last token, the predicted one, the ones after.
function markTokens(k){var d=data.steps[k];
  chips.forEach(function(ch){var p=parseInt(ch.getAttribute('data-pos'),10),gen=ch.classList.contains('gen');
    ch.classList.toggle('here',p===d.position);ch.classList.toggle('pred',gen&&p===d.appended);
    ch.classList.toggle('later',gen&&p>d.appended);});}

function narrowestBar(el){var min=Infinity;[].slice.call(el.querySelectorAll('.bar .track')).forEach(function(t){
  var w=t.getBoundingClientRect().width;if(w<min){min=w;}});return min===Infinity?-1:Math.round(min);}

function select(k){if(!(k>=0&&k<steps.length)){k=0;}
  steps.forEach(function(el){el.hidden=parseInt(el.getAttribute('data-step'),10)!==k;});
  links.forEach(function(a){var on=parseInt(a.getAttribute('data-step'),10)===k;a.classList.toggle('on',on);
    if(on){a.setAttribute('aria-current','true');}else{a.removeAttribute('aria-current');}});
  markTokens(k);hideHover();
  var n=heatmaps(k);current=k;
  body.setAttribute('data-gb-step',String(k));body.setAttribute('data-gb-ready',String(n));
  body.setAttribute('data-gb-bar-min',String(narrowestBar(steps[k])));
  if(status){status.textContent='step '+(k+1)+' of '+steps.length+': rendered '+n+' attention heatmaps';}}

function fromHash(){var m=/step=(\d+)/.exec(location.hash);return m?parseInt(m[1],10)-1:0;}
window.addEventListener('hashchange',function(){select(fromHash());});
document.addEventListener('keydown',function(ev){if(ev.altKey||ev.ctrlKey||ev.metaKey){return;}
  var t=ev.target&&ev.target.tagName;if(t==='INPUT'||t==='TEXTAREA'||t==='SELECT'){return;}
  var k=ev.key==='ArrowRight'?current+1:ev.key==='ArrowLeft'?current-1:-1;
  if(k>=0&&k<steps.length&&(ev.key==='ArrowRight'||ev.key==='ArrowLeft')){location.hash='step='+(k+1);}});
window.addEventListener('resize',function(){if(current>=0){body.setAttribute('data-gb-bar-min',String(narrowestBar(steps[current])));}});
select(fromHash());
})();
